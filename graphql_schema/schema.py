"""The schema served at /graphql: types, limits, error masking; and its printed form."""

import contextlib
import functools
import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, Protocol, cast

import strawberry
from graphql import GraphQLError, ValidationRule
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from app.platform.requestlog import current_request
from graphql_schema.access.keys import ApiKeyMutation, ApiKeyQuery
from graphql_schema.access.permissions import GuardRoles
from graphql_schema.codes import INTERNAL_SERVER_ERROR, CodeErrors
from graphql_schema.fanout import SharedEventExecution
from graphql_schema.hooks import HookRunner
from graphql_schema.library.queries import LibraryQuery
from graphql_schema.library.retrieval import RetrievalQuery
from graphql_schema.library.types import LanguageModel, Voice
from graphql_schema.limits import document_limits
from graphql_schema.memory.mutations import MemoryMutation
from graphql_schema.memory.queries import MemoryQuery
from graphql_schema.memory.types import ErasureReceipt
from graphql_schema.metrics import CountOperations
from graphql_schema.outage import ServeThroughOutage
from graphql_schema.personas.attachments import AttachmentMutation
from graphql_schema.personas.knowledge import KnowledgeBase, KnowledgeQuery
from graphql_schema.personas.knowledge_mutations import KnowledgeMutation
from graphql_schema.personas.memory_policy import MemoryPolicyMutation
from graphql_schema.personas.mutations import PersonaMutation
from graphql_schema.personas.queries import PersonaQuery
from graphql_schema.personas.tools import Tool, ToolMutation, ToolQuery
from graphql_schema.personas.types import Persona
from graphql_schema.personas.variables import VariableMutation
from graphql_schema.release.deployment_mutations import DeploymentMutation
from graphql_schema.release.environments import EnvironmentMutation, EnvironmentQuery
from graphql_schema.release.live import ReleaseQuery
from graphql_schema.release.mutations import ReleaseMutation
from graphql_schema.release.schedules import ScheduledPublish, ScheduleMutation
from graphql_schema.release.subscriptions import Subscription
from graphql_schema.scalars import LOCALE_SCALAR, Locale

logger = logging.getLogger(__name__)

MAX_DEPTH = 10
MAX_TOKENS = 4_000
MAX_ALIASES = 15
MAX_COST = 100_000  # the GRAPHQL_MAX_COST setting's default; GraphiQL's introspection: ~52,000
# Distinct query texts whose parsed document, and documents whose validation errors, are kept.
PARSE_CACHE_SIZE = 1_000
VALIDATION_CACHE_SIZE = 1_000


def _is_unexpected(error: GraphQLError) -> bool:
    # Errors we raise on purpose are GraphQLErrors; anything else is a bug whose text may leak.
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Masks bugs as "Unexpected error." (INTERNAL_SERVER_ERROR), with the request id that
    finds them in the logs."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected)

    def _process_result(self, result: object) -> None:
        # As MaskErrors's, without its isinstance check against a runtime Protocol, which
        # costs more than the rest of this extension on a response without errors.
        if errors := getattr(result, "errors", None):
            cast(Any, result).errors = self._process_errors(errors)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL_SERVER_ERROR}
        if (info := current_request.get()) is not None:
            masked.extensions["requestId"] = info.id
        return masked


class RecordOperation(SchemaExtension):
    """Tells the request log which operation ran and whether it ended in GraphQL errors."""

    def on_operation(self) -> Iterator[None]:
        yield
        info = current_request.get()
        if info is None:
            return
        context = self.execution_context
        info.operation = context.operation_name
        errors = getattr(context.result, "errors", None) or context.pre_execution_errors
        info.outcome = "graphql_errors" if errors else "ok"


# Built once per cost limit: validation results are cached by (schema, document, rule classes),
# so a rule class made afresh for each request would make every request a cache miss.
# The rule replaces Strawberry's depth and alias limiters, whose time doubles with every level
# of fragments spreading fragments (see graphql_schema/limits.py). Introspection fields are
# not held to the depth limit: GraphiQL's introspection query nests deeper than data queries.
@functools.cache
def _document_limits(max_cost: int) -> type[ValidationRule]:
    return document_limits(max_depth=MAX_DEPTH, max_aliases=MAX_ALIASES, max_cost=max_cost)


def limit_documents(max_cost: int) -> Callable[[], SchemaExtension]:
    rule = _document_limits(max_cost)
    return lambda: AddValidationRules([rule])


class CacheUse(NamedTuple):
    hits: int
    misses: int
    size: int


class _LruCached(Protocol):
    def cache_info(self) -> Any: ...


def _use_of(cached: object) -> CacheUse:
    info = cast(_LruCached, cached).cache_info()
    return CacheUse(hits=info.hits, misses=info.misses, size=info.currsize)


class CachedParsing(ParserCache):
    """Parses a query text once. The cache is keyed by the text and the parse options, which
    hold MaxTokensLimiter's limit; a document it refuses is never cached."""

    def __init__(self) -> None:
        super().__init__(maxsize=PARSE_CACHE_SIZE)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:
            # A document that does not parse is left to Strawberry's own parse, which fails the
            # same way and reports it as a refused request (ParserCache's error would escape
            # the parsing step, so the request log would not see it).
            with contextlib.suppress(GraphQLError):
                context.graphql_document = self.cached_parse_document(
                    context.query, **context.parse_options
                )
        yield

    @staticmethod
    def use() -> CacheUse:
        """How often the parse cache (shared by every schema built here) was hit and missed."""
        return _use_of(CachedParsing().cached_parse_document)


class CachedValidation(ValidationCache):
    """Validates a document once per schema and rule set."""

    def __init__(self) -> None:
        super().__init__(maxsize=VALIDATION_CACHE_SIZE)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        errors = self.cached_validate_document(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
        # A copy, so that nothing downstream can change the cached list.
        context.pre_execution_errors = list(errors)
        yield

    @staticmethod
    def use() -> CacheUse:
        """How often the validation cache (keyed by schema, so shared safely) was hit and missed."""
        return _use_of(CachedValidation().cached_validate_document)


class PersonaSchema(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return HookRunner(execution_context, extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Refused requests are the client's business (the request log counts them). A bug is
        # logged by type and stack only: exception messages can quote the input, prompts included.
        for error in errors:
            original = error.original_error
            if original is not None and _is_unexpected(error):
                logger.error(
                    "unexpected error",
                    extra={
                        "error_type": type(original).__qualname__,
                        "graphql_path": error.path,
                        "stack": "".join(traceback.format_tb(original.__traceback__)),
                    },
                )


# Each domain contributes its fields; the order here is the order the schema lists them.
Query = merge_types(
    "Query",
    (
        PersonaQuery,
        LibraryQuery,
        ToolQuery,
        KnowledgeQuery,
        RetrievalQuery,
        ReleaseQuery,
        EnvironmentQuery,
        MemoryQuery,
        ApiKeyQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        PersonaMutation,
        VariableMutation,
        MemoryPolicyMutation,
        AttachmentMutation,
        ToolMutation,
        KnowledgeMutation,
        ReleaseMutation,
        EnvironmentMutation,
        DeploymentMutation,
        ScheduleMutation,
        MemoryMutation,
        ApiKeyMutation,
    ),
)


def build_schema(introspection: bool = True, max_cost: int = MAX_COST) -> PersonaSchema:
    extensions: list[Callable[[], SchemaExtension]] = [
        CodeErrors,  # first: it codes what the others leave without a code
        MaskUnexpectedErrors,
        ServeThroughOutage,  # after the masking, so that its refusals are not masked
        RecordOperation,
        CountOperations,
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        limit_documents(max_cost),
        CachedParsing,
        CachedValidation,
        GuardRoles,  # after CachedValidation: it checks documents that validated
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return PersonaSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            Persona,
            Tool,
            KnowledgeBase,
            Voice,
            LanguageModel,
            ErasureReceipt,
            ScheduledPublish,
        ],
        extensions=extensions,
        execution_context_class=SharedEventExecution,
        config=StrawberryConfig(scalar_map={Locale: LOCALE_SCALAR}),
    )


schema = build_schema()


def printed_schema() -> str:
    return schema.as_str() + "\n"

"""The schema served at /graphql: types, limits, error masking; and its printed form."""

import logging
import traceback
from collections.abc import Callable, Iterator

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.extensions.query_depth_limiter import IgnoreContext
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.requestlog import current_request
from graphql_schema.catalog_types import LanguageModel, Voice
from graphql_schema.mutations import Mutation
from graphql_schema.queries import Query
from graphql_schema.scalars import LOCALE_SCALAR, Locale
from graphql_schema.subscriptions import Subscription
from graphql_schema.types import Persona

logger = logging.getLogger(__name__)

MAX_DEPTH = 10
MAX_TOKENS = 4_000
MAX_ALIASES = 15


def _is_unexpected(error: GraphQLError) -> bool:
    # Errors we raise on purpose are GraphQLErrors; anything else is a bug whose text may leak.
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def _is_introspection(context: IgnoreContext) -> bool:
    # GraphiQL's introspection query nests deeper than any data query needs to.
    return context.field_name.startswith("__")


class MaskUnexpectedErrors(MaskErrors):
    """Masks bugs as "Unexpected error.", with the request id that finds them in the logs."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        info = current_request.get()
        if info is not None:
            masked.extensions = {"requestId": info.id}
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


class PersonaSchema(strawberry.Schema):
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


def build_schema(introspection: bool = True) -> PersonaSchema:
    extensions: list[Callable[[], SchemaExtension]] = [
        MaskUnexpectedErrors,
        RecordOperation,
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH, should_ignore=_is_introspection),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return PersonaSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Persona, Voice, LanguageModel],
        extensions=extensions,
        config=StrawberryConfig(scalar_map={Locale: LOCALE_SCALAR}),
    )


schema = build_schema()


def printed_schema() -> str:
    return schema.as_str() + "\n"

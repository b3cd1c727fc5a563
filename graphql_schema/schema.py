"""The schema served at /graphql, and its printed form."""

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from graphql_schema.catalog_types import LanguageModel, Voice
from graphql_schema.mutations import Mutation
from graphql_schema.queries import Query
from graphql_schema.scalars import LOCALE_SCALAR, Locale
from graphql_schema.subscriptions import Subscription
from graphql_schema.types import Persona

logger = logging.getLogger(__name__)


def _is_unexpected(error: GraphQLError) -> bool:
    # Errors we raise on purpose are GraphQLErrors; anything else is a bug whose text may leak.
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class PersonaSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Refused requests are the client's business: one line, no traceback in the log.
        for error in errors:
            if _is_unexpected(error):
                logger.error("unexpected error: %s", error.message, exc_info=error.original_error)
            else:
                logger.info("request refused: %s", error.message)


schema = PersonaSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Persona, Voice, LanguageModel],
    extensions=[lambda: MaskErrors(should_mask_error=_is_unexpected)],
    config=StrawberryConfig(scalar_map={Locale: LOCALE_SCALAR}),
)


def printed_schema() -> str:
    return schema.as_str() + "\n"

"""Every GraphQL error answers with an `extensions.code`, so clients branch on codes, not text.

Errors raised on purpose carry their own code (QUERY_TOO_COMPLEX, FORBIDDEN, MISSING_VARIABLES,
DATABASE_UNAVAILABLE, ...), which is kept. The rest get the code of the step that refused the
request: a document that does not parse, one that does not validate, or variables and
arguments the operation cannot take. Masked bugs already say INTERNAL_SERVER_ERROR.
"""

from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


def with_code(error: GraphQLError, code: str) -> None:
    """Give `error` `code` unless it has one: an error made on purpose knows its own best."""
    extensions = dict(error.extensions or {})
    extensions.setdefault("code", code)
    error.extensions = extensions


class CodeErrors(SchemaExtension):
    """Listed first, so that it sees the errors as the other extensions leave them."""

    executed = False

    def on_execute(self) -> Iterator[None]:
        self.executed = True
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            with_code(error, self._code_of(error))

    def _code_of(self, error: GraphQLError) -> str:
        if isinstance(error.original_error or error, GraphQLSyntaxError):
            return PARSE_FAILED
        if not self.executed:
            return VALIDATION_FAILED
        # Variables that do not coerce, and arguments a resolver refuses.
        return BAD_USER_INPUT

"""GraphQL through a database outage: refusals as 503 DATABASE_UNAVAILABLE, stale answers marked.

A field whose resolver finds the database gone gets a GraphQLError with the code (so it
is neither masked nor logged as a bug), and the HTTP response becomes 503. An answer served
from memory while the change stream is down (liveConfiguration) puts
`extensions.stale.since` in the response.
"""

from typing import Any, cast

from graphql import GraphQLError, GraphQLOutputType
from graphql.pyutils import Path
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.platform.database import is_unavailable
from app.platform.outage import RETRY_AFTER_SECONDS, monitor_of, unavailable_error
from graphql_schema.context import Context


def _refuse(context: object) -> None:
    """The response becomes a 503, and the monitor believes the database is gone."""
    if not isinstance(context, Context):
        return
    if isinstance(context.response, Response):
        context.response.status_code = 503
        context.response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
    if context.request is not None and (monitor := monitor_of(context.request.scope)):
        monitor.failed()


class RefusingExecution(StrawberryGraphQLCoreExecutionContext):
    """Turns a field's "database unreachable" into the DATABASE_UNAVAILABLE refusal.

    Done where graphql-core handles a field's error, so it costs nothing when fields succeed
    and the error is neither masked nor logged as a bug.
    """

    def handle_field_error(
        self,
        raw_error: Exception,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        path: Path,
    ) -> None:
        if is_unavailable(raw_error):
            entry = unavailable_error()
            extensions = cast(dict[str, Any], entry["extensions"])
            raw_error = GraphQLError(str(entry["message"]), extensions=extensions)
            _refuse(self.context_value)
        super().handle_field_error(raw_error, return_type, field_details_list, path)


class ServeThroughOutage(SchemaExtension):
    """Tells in the response when an answer was served stale, and since when."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        since = context.stale_since if isinstance(context, Context) else None
        return {} if since is None else {"stale": {"since": since.isoformat()}}

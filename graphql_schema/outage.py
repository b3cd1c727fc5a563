"""GraphQL through a database outage: refusals as 503 DATABASE_UNAVAILABLE, stale answers marked.

A resolver that finds the database gone raises a GraphQLError with the code (so it is
neither masked nor logged as a bug), and the HTTP response becomes 503. An answer served
from memory while the change stream is down (liveConfiguration) puts
`extensions.stale.since` in the response.
"""

from collections.abc import Awaitable, Callable, Iterator
from inspect import isawaitable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from app.platform.database import is_unavailable
from app.platform.outage import CODE, RETRY_AFTER_SECONDS, monitor_of, unavailable_error
from graphql_schema.context import Context


async def _refused_if_unavailable(pending: Awaitable[object]) -> object:
    try:
        return await pending
    except Exception as error:
        if not is_unavailable(error):
            raise
        entry = unavailable_error()
        raise GraphQLError(str(entry["message"]), extensions=entry["extensions"]) from None  # type: ignore[arg-type]


def _is_refusal(error: GraphQLError) -> bool:
    return (error.extensions or {}).get("code") == CODE


class ServeThroughOutage(SchemaExtension):
    def resolve(
        self,
        _next: Callable[..., object],
        root: object,
        info: GraphQLResolveInfo[Any],
        *args: object,
        **kwargs: object,
    ) -> object:
        # Only awaitables can reach the database: plain field reads pass untouched.
        result = _next(root, info, *args, **kwargs)
        return _refused_if_unavailable(result) if isawaitable(result) else result

    def on_operation(self) -> Iterator[None]:
        yield
        errors = getattr(self.execution_context.result, "errors", None) or ()
        if not any(_is_refusal(error) for error in errors):
            return
        context = self.execution_context.context
        if not isinstance(context, Context):
            return
        if isinstance(context.response, Response):
            context.response.status_code = 503
            context.response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
        if context.request is not None and (monitor := monitor_of(context.request.scope)):
            monitor.failed()

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        since = context.stale_since if isinstance(context, Context) else None
        return {} if since is None else {"stale": {"since": since.isoformat()}}

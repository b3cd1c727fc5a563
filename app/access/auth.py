"""Every GraphQL request is authenticated by an API key before any resolver runs."""

from starlette.datastructures import Headers, QueryParams
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from app.access.keys import authenticate
from app.access.principal import Principal
from app.platform.http_errors import send_error
from app.platform.requestlog import current_request

# /retrieval authenticates itself: Dify's specification has its own error bodies; /metrics
# lets loopback scrapers in without a key (app/server/metrics_endpoint.py).
OPEN_PATHS = ("/healthz", "/readyz", "/retrieval", "/metrics")
UNAUTHENTICATED = "UNAUTHENTICATED"
NOT_FOUND = "NOT_FOUND"
# Not quoting the path: it is the client's text, and may hold what belongs in no answer.
NOT_SERVED = "Nothing is served at this path; GraphQL is served at /graphql."


async def principal_from(authorization: object) -> Principal | None:
    """The principal of an `Authorization: Bearer <key>` value, or None."""
    if not isinstance(authorization, str):
        return None
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return await authenticate(key.strip())


def _is_playground_page(scope: Scope, headers: Headers) -> bool:
    # The page itself holds no data; the queries it sends carry the pasted key.
    return (
        scope["method"] == "GET"
        and "text/html" in headers.get("accept", "")
        and "query" not in QueryParams(scope["query_string"])
    )


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp, assets_path: str) -> None:
        self.app = app
        self.assets_path = assets_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._is_open(scope):
            await self.app(scope, receive, send)
            return
        if not _is_served(scope):
            # Before the key: whether a path exists is no secret, and a 401 would send the
            # client looking for a key problem it does not have.
            await send_error(send, 404, NOT_SERVED, NOT_FOUND)
            return
        principal = await principal_from(Headers(scope=scope).get("authorization"))
        if principal is None:
            await _unauthorized(send)
            return
        scope.setdefault("state", {})["principal"] = principal
        if (info := current_request.get()) is not None:
            info.workspace = str(principal.workspace_id)
        await self.app(scope, receive, send)

    def _is_open(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if path in OPEN_PATHS or path.startswith(self.assets_path + "/"):
            return True
        return _is_playground_page(scope, Headers(scope=scope))


def _is_served(scope: Scope) -> bool:
    """Whether a route of the app takes this path (with any method: a wrong one is 405)."""
    if scope["path"] == "/graphql":  # nearly every request: no need to ask the routes
        return True
    app = scope.get("app")
    routes = getattr(getattr(app, "router", None), "routes", None)
    if routes is None:  # not under a Starlette app: nothing to tell paths apart by
        return True
    return any(route.matches(scope)[0] is not Match.NONE for route in routes)


async def _unauthorized(send: Send) -> None:
    message = "A valid API key is required: send 'Authorization: Bearer <key>'."
    challenge = ((b"www-authenticate", b'Bearer realm="persona-api"'),)
    await send_error(send, 401, message, UNAUTHENTICATED, challenge)

"""GET /metrics: this process's Prometheus metrics, for a scraper that may see them.

Open without a key only to connections from the loopback interface (a scraper or sidecar on
the same host), or to everyone with METRICS_PUBLIC=true; otherwise an ADMIN key is needed.
The page names no workspace, key or persona, but request rates are still an operator's.
"""

from collections.abc import Awaitable, Callable
from ipaddress import ip_address

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.access.auth import principal_from
from app.access.principal import Role
from app.platform import metrics


def _from_loopback(request: Request) -> bool:
    if request.client is None:
        return False
    try:
        return ip_address(request.client.host).is_loopback
    except ValueError:  # not an address (a test client's "testclient"): not loopback
        return False


def metrics_endpoint(public: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if not public and not _from_loopback(request):
            principal = await principal_from(request.headers.get("authorization"))
            if principal is None:
                return _refused(401, "UNAUTHENTICATED", "An ADMIN API key is required.")
            if principal.role != Role.ADMIN:
                return _refused(403, "FORBIDDEN", "Metrics need an ADMIN API key.")
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)

    return endpoint


def _refused(status: int, code: str, message: str) -> JSONResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    headers = {"WWW-Authenticate": 'Bearer realm="persona-api"'} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)

"""While the database is unreachable, requests that need it get 503 DATABASE_UNAVAILABLE.

Placed just inside the request log, so that whatever needs the database (authentication
included) and finds it gone answers a GraphQL-shaped 503 with the request id, never a 500.
While the monitor knows the database is down, each request may wait only FAST_FAIL_SECONDS
for it, so an outage costs clients a quick refusal rather than the driver's full wait;
what a request can answer from memory (call starts) it still answers.
"""

import json
import logging

import pymongo
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.platform.database import is_unavailable
from app.platform.reachability import DatabaseMonitor, request_begins
from app.platform.requestlog import current_request

logger = logging.getLogger(__name__)

CODE = "DATABASE_UNAVAILABLE"
MESSAGE = "The database is unavailable; try again shortly."
FAST_FAIL_SECONDS = 0.2
RETRY_AFTER_SECONDS = 1


def monitor_of(scope: Scope) -> DatabaseMonitor | None:
    app = scope.get("app")
    state = getattr(app, "state", None)
    monitor = getattr(state, "database_monitor", None)
    return monitor if isinstance(monitor, DatabaseMonitor) else None


def unavailable_error() -> dict[str, object]:
    """The GraphQL error entry of a request refused for want of the database."""
    extensions: dict[str, object] = {"code": CODE}
    if (info := current_request.get()) is not None:
        extensions["requestId"] = info.id
    return {"message": MESSAGE, "extensions": extensions}


async def send_unavailable(send: Send) -> None:
    body = json.dumps({"errors": [unavailable_error()]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class OutageMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        monitor = monitor_of(scope)
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        with request_begins():
            try:
                if monitor is not None and not monitor.reachable:
                    with pymongo.timeout(FAST_FAIL_SECONDS):
                        await self.app(scope, receive, send_tracked)
                else:
                    await self.app(scope, receive, send_tracked)
            except Exception as error:
                if started or not is_unavailable(error):
                    raise
                if monitor is not None:
                    monitor.failed()
                # The driver's message lists the topology, nothing of the request: the type will do.
                logger.warning(
                    "answered 503, the database is unreachable: %s", type(error).__name__
                )
                await send_unavailable(send)

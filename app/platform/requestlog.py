"""One JSON log line per request, and the request id that ties logs to responses.

Never logs keys, prompts or any other request content: only who (workspace), what
(operation name), how long and how it ended.
"""

import logging
import random
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.platform import metrics

logger = logging.getLogger("app.requests")

_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass
class RequestInfo:
    id: str
    workspace: str | None = None
    operation: str | None = None
    outcome: str | None = None
    counted: bool = False  # its GraphQL operation is in the metrics already


current_request: ContextVar[RequestInfo | None] = ContextVar("current_request", default=None)


def _new_id() -> str:
    # 32 hex digits, as uuid4().hex, without a system call per request (os.urandom's costs a
    # few percent of a small request here). An id ties lines together; it guards nothing.
    return f"{random.getrandbits(128):032x}"


def _outcome(status: int | None) -> str:
    if status is None:
        return "closed"
    if status < 400:
        return "ok"
    return {401: "unauthenticated", 413: "too_large"}.get(
        status, "rejected" if status < 500 else "error"
    )


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        offered = Headers(scope=scope).get("x-request-id", "")
        info = RequestInfo(offered if _CLIENT_ID.match(offered) else _new_id())
        token = current_request.set(info)
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["x-request-id"] = info.id
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            info.outcome = "error"
            raise
        finally:
            if scope["path"] == "/graphql" and not info.counted and (status or 500) >= 400:
                # Refused before any operation ran: no key, too large, database down, ...
                refused = status is not None and status < 500
                metrics.record_operation("unknown", "refused" if refused else "error", None)
            logger.info(
                "request",
                extra={
                    "request_id": info.id,
                    "kind": scope["type"],
                    "method": scope.get("method", "WEBSOCKET"),
                    "path": scope["path"],
                    "status": status,
                    "workspace": info.workspace,
                    "operation": info.operation,
                    "outcome": info.outcome or _outcome(status),
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            current_request.reset(token)


class RequestIdFilter(logging.Filter):
    """Stamps every log record made while serving a request with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = current_request.get()
        if info is not None and not hasattr(record, "request_id"):
            record.request_id = info.id
        return True

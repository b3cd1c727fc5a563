"""Errors answered by middleware before the GraphQL app runs, in GraphQL's error shape:
`{"errors": [{"message", "extensions": {"code", "requestId"}}]}`, as the app's own refusals."""

import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Send

from app.platform.requestlog import current_request


def error_body(message: str, code: str) -> bytes:
    extensions = {"code": code}
    if (info := current_request.get()) is not None:
        extensions["requestId"] = info.id
    return json.dumps({"errors": [{"message": message, "extensions": extensions}]}).encode()


async def send_error(
    send: Send,
    status: int,
    message: str,
    code: str,
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    body = error_body(message, code)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


async def starlette_error(request: Request, error: Exception) -> Response:
    """Starlette's own refusals (a wrong method, a missing asset) in the same shape."""
    assert isinstance(error, HTTPException)
    code = _CODES.get(error.status_code, "BAD_REQUEST")
    return Response(
        error_body(error.detail, code),
        status_code=error.status_code,
        headers=error.headers,
        media_type="application/json",
    )

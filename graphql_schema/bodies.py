"""What the HTTP endpoint reads as a request, and how it refuses the rest.

One GraphQL operation: a JSON object in a POST body, or GET parameters whose `variables` and
`extensions` are JSON. Both are decoded within app.platform.jsonbounds' limits, and anything
refused is answered in GraphQL's error shape with a code and the request id, never as
Strawberry's plain text (or, for what Strawberry does not expect, a 500).
"""

from collections.abc import Mapping
from typing import Any

from cross_web import HTTPException
from starlette.responses import JSONResponse, Response

from app.platform.jsonbounds import Path, UnsafeJson, loads
from app.platform.quoting import QUOTED_CHARACTERS, clipped
from app.platform.requestlog import current_request

MAX_OPERATION_NAME = 100

_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def _where(path: Path) -> str:
    # The keys are the client's: quoted like any other input.
    return clipped(".".join(str(part) for part in path), QUOTED_CHARACTERS)


def _decoded(data: str | bytes, what: str, path: Path = ()) -> object:
    try:
        return loads(data)
    except UnsafeJson as error:
        where = f" at {_where((*path, *error.path))}" if error.path else ""
        raise HTTPException(400, f"The {what} {error.reason}{where}.") from None


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    # Strawberry checks query, variables and extensions, but would quote any operationName
    # whole in its "Unknown operation named" error.
    name = fields.get("operationName")
    if name is not None and not isinstance(name, str):
        raise HTTPException(400, "The operation's `operationName` must be a string or null.")
    if name is not None and len(name) > MAX_OPERATION_NAME:
        message = f"The operation's `operationName` is over {MAX_OPERATION_NAME} characters."
        raise HTTPException(400, message)
    return fields


def operation_body(data: str | bytes) -> dict[str, Any]:
    """The fields of the operation a POST body holds."""
    value = _decoded(data, "request body")
    if isinstance(value, list):
        raise HTTPException(400, "Batching is not enabled: send one operation, a JSON object.")
    if not isinstance(value, dict):
        message = 'The request body must be a JSON object such as {"query": "{ __typename }"}.'
        raise HTTPException(400, message)
    return _checked(value)


def operation_params(params: Mapping[str, str | None]) -> dict[str, Any]:
    """The fields of the operation GET parameters hold."""
    fields: dict[str, Any] = dict(params)
    for name in ("variables", "extensions"):
        if text := params.get(name):
            fields[name] = _decoded(text, f"`{name}` parameter", (name,))
    return _checked(fields)


def error_response(error: HTTPException) -> Response:
    """A refused request as GraphQL over HTTP answers it: `errors` with a code and request id."""
    extensions = {"code": _CODES.get(error.status_code, "BAD_REQUEST")}
    if (info := current_request.get()) is not None:
        extensions["requestId"] = info.id
    body = {"errors": [{"message": error.reason, "extensions": extensions}]}
    return JSONResponse(body, status_code=error.status_code)

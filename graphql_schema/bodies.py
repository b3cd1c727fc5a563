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
from strawberry.types.graphql import OperationType

from app.platform.jsonbounds import Path, UnsafeJson, loads
from app.platform.quoting import QUOTED_CHARACTERS, clipped
from app.platform.requestlog import current_request

MAX_OPERATION_NAME = 100

_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
SUBSCRIPTIONS_OVER_HTTP = (
    "Subscriptions are served over a websocket, not HTTP: connect to /graphql with the "
    "graphql-transport-ws protocol and send the subscription as a `subscribe` message."
)


class Refused(HTTPException):
    """An HTTPException answered with headers of its own (405's Allow)."""

    def __init__(self, status_code: int, reason: str, headers: dict[str, str]) -> None:
        super().__init__(status_code, reason)
        self.headers = headers


def wrong_transport(operation_type: OperationType, method: str) -> HTTPException:
    """The refusal of an operation the HTTP method cannot carry."""
    if operation_type is OperationType.SUBSCRIPTION:
        return HTTPException(400, SUBSCRIPTIONS_OVER_HTTP)
    # GraphQL over HTTP: a mutation over GET is 405, and POST is the method to use.
    message = f"{operation_type.value.capitalize()}s are not allowed over {method}: use POST."
    return Refused(405, message, {"Allow": "POST"})


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
    headers = error.headers if isinstance(error, Refused) else None
    return JSONResponse(body, status_code=error.status_code, headers=headers)

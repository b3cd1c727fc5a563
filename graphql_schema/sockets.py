"""What one websocket may send us, and have waiting to be sent: size, shape, bytes queued.

Checked here, in the app, so the bounds hold whatever server runs it (our CLI also sets
uvicorn's ws_max_size, which refuses an oversized message before it is even buffered).
"""

import asyncio
from collections.abc import AsyncGenerator, Mapping
from contextlib import suppress
from dataclasses import dataclass

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.async_base_view import AsyncBaseHTTPView
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)

DEFAULT_BYTES = 1_048_576
MALFORMED = 4400
TOO_LARGE = 1009
TOO_SLOW = 4408
TOO_MANY = 4429
MAX_ID = 64  # Strawberry quotes the id in a close reason, which has room for 123 bytes
MAX_REASON = 123
_KNOWN = {"connection_init", "ping", "pong", "subscribe", "complete"}


@dataclass(frozen=True)
class SocketLimits:
    max_message_bytes: int = DEFAULT_BYTES
    max_queued_bytes: int = DEFAULT_BYTES


class SocketTooSlow(Exception):
    """The socket's client is not reading: more than `limit` bytes would be waiting."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"over {limit} bytes waiting to be sent")
        self.limit = limit


def malformed(message: object) -> str | None:
    """Why `message` is not a graphql-transport-ws message we can act on (None: it is)."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "A message must be a JSON object with a string type."
    kind = message["type"]
    if kind not in _KNOWN:
        return "Unknown message type."
    if kind in ("subscribe", "complete"):
        operation_id = message.get("id")
        if not isinstance(operation_id, str) or not 0 < len(operation_id) <= MAX_ID:
            return f"A {kind} message needs a string id of 1 to {MAX_ID} characters."
    if kind != "subscribe":
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "A subscribe payload must be an object with a string query."
    if not isinstance(payload.get("variables") or {}, dict):
        return "Subscribe variables must be an object."
    if not isinstance(payload.get("operationName") or "", str):
        return "Subscribe operationName must be a string."
    return None


def _utf8_size_above(text: str, limit: int) -> bool:
    # Encoding is needed only when the text could be over the limit at all.
    return len(text) > limit or (len(text) * 4 > limit and len(text.encode()) > limit)


def _utf8_size(encoded: str | bytes) -> int:
    # What goes on the wire: JSON text holds non-ASCII characters as they are, not escaped.
    if isinstance(encoded, bytes) or encoded.isascii():
        return len(encoded)
    return len(encoded.encode())


def _reason(text: str) -> str:
    encoded = text.encode()
    if len(encoded) <= MAX_REASON:
        return text
    return encoded[: MAX_REASON - 3].decode(errors="ignore") + "..."


class BoundedWebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's ASGI adapter with a message size cap and a bound on bytes waiting.

    Sends go out one at a time, so what sits in the server's transport is at most one
    message past its high-water mark; the rest wait here, counted.
    """

    def __init__(self, view: AsyncBaseHTTPView, request: WebSocket, response: WebSocket) -> None:  # type: ignore[type-arg]
        super().__init__(view, request, response)
        self.limits: SocketLimits = getattr(request.app.state, "socket_limits", SocketLimits())
        self.waiting = 0
        self._sending = asyncio.Lock()

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        limit = self.limits.max_message_bytes
        while self.ws.application_state != WebSocketState.DISCONNECTED:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if not isinstance(text, str):
                raise NonTextMessageReceived
            if _utf8_size_above(text, limit):
                await self.close(TOO_LARGE, f"A message may be at most {limit} bytes.")
                return
            try:
                decoded = self.view.decode_json(text)
            except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
                raise NonJsonMessageReceived from error
            yield decoded

    async def send_json(self, message: Mapping[str, object]) -> None:
        if self.ws.application_state != WebSocketState.CONNECTED:
            raise WebSocketDisconnected
        encoded = self.view.encode_json(message)
        size = _utf8_size(encoded)
        # One message always fits, however large; a second one past the bound does not.
        if self.waiting and self.waiting + size > self.limits.max_queued_bytes:
            raise SocketTooSlow(self.limits.max_queued_bytes)
        self.waiting += size
        try:
            async with self._sending:
                if self.ws.application_state != WebSocketState.CONNECTED:
                    raise WebSocketDisconnected
                if isinstance(encoded, bytes):
                    await self.ws.send_bytes(encoded)
                else:
                    await self.ws.send_text(encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
        finally:
            self.waiting -= size

    async def close(self, code: int, reason: str) -> None:
        if self.ws.application_state != WebSocketState.CONNECTED:
            return
        with suppress(WebSocketDisconnect):  # the client went first
            await self.ws.close(code=code, reason=_reason(reason))

"""uvicorn, with the bounds it lacks against clients that are slow on purpose.

- A request, headers and declared body, must arrive within `request_read_timeout`
  seconds of its first byte (of the connect, for a connection's first request); else it
  is answered 408, if nothing was answered yet, and closed. uvicorn has only
  `timeout_keep_alive`, for the idle time between requests: a connection dripping its
  headers a byte at a time, or never sending any, stayed open forever.
- A connection that would make `limit_concurrency` open at once is answered 503 and
  closed at once, before it holds a file descriptor idle (uvicorn alone answers 503 only
  once a request's headers have arrived).
- On shutdown (SIGTERM) requests under way get SHUTDOWN_GRACE_SECONDS to finish, and open
  websockets are closed with 1001 (going away), not uvicorn's 1012 (service restart): a
  client cannot tell whether this process will come back.
- A websocket whose client stopped reading cannot take its close frame, and uvicorn's
  close only waits for the buffer to drain: it is dropped `request_read_timeout` seconds
  after the app closed it.
"""

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState

from app.platform.settings import Settings

DEFAULT_READ_TIMEOUT = 15.0
SHUTDOWN_GRACE_SECONDS = 10
GOING_AWAY = 1001
_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class BoundedHttpProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.read_timeout: float = getattr(config, "request_read_timeout", DEFAULT_READ_TIMEOUT)
        self.read_timer: asyncio.TimerHandle | None = None
        self.headers_complete = False
        self.reading_request = False  # between a request's first byte and its last

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        limit = self.limit_concurrency
        if limit is not None and len(self.connections) >= limit:
            transport.write(_BUSY)
            transport.close()
            return
        self._start_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_reading()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.headers_complete = False
        self.reading_request = True
        if self.read_timer is None:
            self._start_reading()

    def on_headers_complete(self) -> None:
        self.headers_complete = True
        super().on_headers_complete()
        if self.pipeline:  # queued behind a request still being answered: not read meanwhile
            self._stop_reading()

    def on_message_complete(self) -> None:
        self.reading_request = False
        self._stop_reading()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.reading_request and self.read_timer is None and not self.transport.is_closing():
            self._start_reading()  # a pipelined request's turn: the rest of it is due now

    def handle_websocket_upgrade(self) -> None:
        self._stop_reading()  # the websocket has its own handshake and ping timeouts
        super().handle_websocket_upgrade()

    def _start_reading(self) -> None:
        self.read_timer = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _stop_reading(self) -> None:
        if self.read_timer is not None:
            self.read_timer.cancel()
            self.read_timer = None

    def _read_timed_out(self) -> None:
        self.read_timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            if not cycle.response_started:  # the app is waiting for the body
                self.transport.write(_TIMED_OUT)
            # Whatever the app still sends is dropped, and it reads a disconnect.
            cycle.disconnected = True
            cycle.message_event.set()
        elif not self.headers_complete:
            self.transport.write(_TIMED_OUT)
        self.transport.close()


class BoundedWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        # How long a client has to take our close frame: as long as it has to send a request.
        self.close_timeout = getattr(config, "request_read_timeout", DEFAULT_READ_TIMEOUT)

    async def send(self, message: Any) -> None:
        if message["type"] == "websocket.close":
            # A client that is not reading gets the close frame only behind what it has not
            # read, if ever (uvicorn may not even send it until the buffer drains).
            self.loop.call_later(self.close_timeout, self._drop_if_open)
        await super().send(message)

    def shutdown(self) -> None:
        if self.close_sent or not self.handshake_complete:
            super().shutdown()
            return
        # uvicorn's own shutdown, with 1001 for its 1012.
        self.stop_keepalive()
        self.queue.put_nowait({"type": "websocket.disconnect", "code": GOING_AWAY})
        self.conn.send_close(GOING_AWAY, "server shutting down")
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.transport.close()

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()  # closes, which waits for a buffer that may never drain
        self.loop.call_later(self.close_timeout, self._drop_if_open)

    def _drop_if_open(self) -> None:
        if not self.disconnected:
            self.transport.abort()


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration for `settings`: our protocols and limits, our logs only."""

    def __init__(self, app: Any, settings: Settings, **options: Any) -> None:
        super().__init__(
            app,
            host=settings.host,
            port=settings.port,
            lifespan="on",
            log_config=None,  # our JSON logs; and no access log, whose URLs may hold a query
            access_log=False,
            http=BoundedHttpProtocol,
            ws=BoundedWebSocketProtocol,
            ws_max_size=settings.max_body_bytes,
            limit_concurrency=settings.max_connections,
            timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
            **options,
        )
        self.request_read_timeout = settings.request_read_timeout

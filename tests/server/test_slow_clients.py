"""Clients slow on purpose: a request must arrive within a bound, and connections are capped.

Against a real `serve`, whose REQUEST_READ_TIMEOUT is 1 s here (15 s by default).
"""

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest

from app.platform.embedded import EmbeddedDatabase
from tests.support.processes import Server, serving
from tests.support.ws import graphql_ws

READ_TIMEOUT = 1.0
MAX_CONNECTIONS = 6
SLACK = 4.0  # a bound for "closed soon after the timeout", generous under load


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, mongo_server: EmbeddedDatabase
) -> Iterator[Server]:
    with serving(
        tmp_path_factory.mktemp("slow"),
        MONGODB_URI=mongo_server.uri,
        REQUEST_READ_TIMEOUT=str(READ_TIMEOUT),
        MAX_CONNECTIONS=str(MAX_CONNECTIONS),
    ) as running:
        yield running


def _connect(server: Server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=READ_TIMEOUT + SLACK)


def _until_closed(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes (a socket timeout fails the test)."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def _drip(connection: socket.socket, data: bytes, every: float = 0.2) -> bytes:
    """Send `data` a byte every `every` seconds until the server closes; what it answered."""
    deadline = time.monotonic() + READ_TIMEOUT + SLACK
    connection.settimeout(every)
    answer = b""
    for byte in data:
        assert time.monotonic() < deadline, "still open"
        try:
            connection.send(bytes([byte]))
            chunk = connection.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return answer  # reset: our byte crossed the server's close
        if not chunk:
            return answer
        answer += chunk
    raise AssertionError("the server read the whole request")


def test_a_connection_that_sends_nothing_is_closed(server: Server) -> None:
    started = time.monotonic()
    with _connect(server) as connection:
        answer = _until_closed(connection)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert READ_TIMEOUT * 0.9 <= time.monotonic() - started < READ_TIMEOUT + SLACK


def test_headers_sent_a_byte_at_a_time_are_cut_off(server: Server) -> None:
    with _connect(server) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        answer = _drip(connection, b"X-Slow: " + b"a" * 100)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 ")


def test_a_declared_body_that_does_not_arrive_is_cut_off(server: Server) -> None:
    started = time.monotonic()
    with _connect(server) as connection:
        connection.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {server.key}\r\n".encode()
            + b"Content-Length: 100000\r\n\r\n"
            + b'{"query": "'
        )
        answer = _until_closed(connection)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < READ_TIMEOUT + SLACK
    time.sleep(0.2)  # what the app logs as it sees the disconnect
    assert not any("Traceback" in line or '"ERROR"' in line for line in server.lines)


def _one_response(connection: socket.socket) -> bytes:
    """One whole response with a Content-Length, read off a kept-alive connection."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += connection.recv(65536)
    return head


def test_a_kept_alive_connection_may_idle_between_requests(server: Server) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with _connect(server) as connection:
        for _ in range(2):
            connection.sendall(request)
            assert _one_response(connection).startswith(b"HTTP/1.1 200 ")
            time.sleep(READ_TIMEOUT * 1.5)  # longer than a request may take, not than idling


async def test_connections_past_the_cap_are_refused_with_503(server: Server) -> None:
    url = f"{server.url}/graphql"
    # Open websockets are connections too, and no read timeout applies to them.
    async with (
        graphql_ws(url, init=False),
        graphql_ws(url, init=False),
        graphql_ws(url, init=False),
        graphql_ws(url, init=False),
        graphql_ws(url, init=False),
    ):
        with _connect(server) as refused:
            answer = await asyncio.to_thread(_until_closed, refused)
        assert answer.startswith(b"HTTP/1.1 503 ")
    await asyncio.sleep(0.2)  # the server sees the websockets go
    with _connect(server) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert _until_closed(connection).startswith(b"HTTP/1.1 200 ")

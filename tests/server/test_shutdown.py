"""SIGTERM: requests under way are answered, websockets are told 1001, the database stops."""

import asyncio
import json
import signal
import socket
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.processes import Server, serving
from tests.support.ws import graphql_ws

SUBSCRIPTION = "subscription { personaPublished { version { version } } }"


def _half_sent_request(server: Server) -> tuple[socket.socket, bytes]:
    """A POST whose headers and first half of its body are sent: in flight; and the rest."""
    body = json.dumps({"query": "{ voices { key } }"}).encode()
    port = int(server.url.rsplit(":", 1)[1])
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {server.key}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    half = len(body) // 2
    connection.sendall(head + body[:half])
    return connection, body[half:]


def _response(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


async def test_sigterm_finishes_requests_closes_sockets_with_1001_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    with serving(tmp_path) as server:
        assert server.process is not None
        connection, rest = _half_sent_request(server)
        async with graphql_ws(f"{server.url}/graphql", server.key) as subscriber:
            await subscriber.subscribe("1", SUBSCRIPTION)
            await asyncio.sleep(0.3)  # the subscription is registered once its resolver runs
            server.process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(subscriber.receive(), timeout=30)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, "server shutting down")

        # The request begun before SIGTERM is still read to its end and answered.
        connection.sendall(rest)
        answer = await asyncio.to_thread(_response, connection)
        connection.close()
        assert answer.startswith(b"HTTP/1.1 200 "), answer
        assert b"connection: close" in answer.lower()
        assert b'"voices"' in answer
        assert await asyncio.to_thread(server.process.wait, 60) == 0

    lines = server.lines
    assert not any("Traceback" in line for line in lines)
    api_done = next(i for i, line in enumerate(lines) if "Application shutdown complete" in line)
    database_done = next(i for i, line in enumerate(lines) if "embedded database stopped" in line)
    assert api_done < database_done
    assert "(exit code 0)" in lines[database_done]

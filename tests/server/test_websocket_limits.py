"""What one websocket may send and hold: message size and shape, sockets per key and
workspace, and what may wait for a client that does not read.

These bounds live in the app, so they are tested under stock uvicorn, in-process.
"""

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from app.access.keys import issue_key, workspace_named
from app.access.principal import Role
from app.platform.embedded import EmbeddedDatabase
from app.platform.settings import Settings
from tests.support.client import CREATE, PUBLISH, GraphQLClient, random_key, voice_input
from tests.support.inprocess import stock_uvicorn
from tests.support.processes import Server, graphql_async, serving
from tests.support.ws import PROTOCOL, GraphQLWebSocket, graphql_ws

PER_KEY = 3
PER_WORKSPACE = 5
QUEUED = 64 * 1024
SLOW_SOCKETS = 10
BODY_LIMIT = 1_048_576  # the default, for HTTP bodies and websocket messages alike
PROMPTS = "voiceConfigurations { prompt }"
LARGE_EVENTS = f"""subscription {{ personaPublished {{
  persona {{ draft {{ {PROMPTS} }} production {{ snapshot {{ {PROMPTS} }} }} }}
  version {{ snapshot {{ {PROMPTS} }} }}
}} }}"""


@pytest.fixture
def settings() -> Settings:
    return Settings(
        ws_max_sockets_per_key=PER_KEY,
        ws_max_sockets_per_workspace=PER_WORKSPACE,
        ws_max_queued_bytes=QUEUED,
    )


@pytest.fixture
async def url(app: Starlette) -> AsyncIterator[str]:
    async with stock_uvicorn(app) as served:
        yield f"{served}/graphql"


async def _key(workspace: str = "acme") -> str:
    owner = await workspace_named(workspace)
    assert owner.id is not None
    return (await issue_key(owner.id, "sockets", Role.VIEWER)).secret


async def _drain(connection: ClientConnection) -> tuple[int, ConnectionClosed]:
    """How many messages arrive before the server closes (within 10 s each), and the close."""
    received = 0
    while True:
        try:
            await asyncio.wait_for(connection.recv(), timeout=10)
        except ConnectionClosed as closed:
            return received, closed
        received += 1


async def _close_of(socket: GraphQLWebSocket) -> tuple[int, str]:
    _, closed = await _drain(socket.connection)
    assert closed.rcvd is not None, "closed without a close frame"
    return closed.rcvd.code, closed.rcvd.reason


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    failures = [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert failures == []


async def test_a_message_over_the_body_limit_is_closed_1009(url: str, settings: Settings) -> None:
    query = "{ __typename }" + " " * settings.max_body_bytes
    async with graphql_ws(url, await _key()) as socket:
        await socket.send({"id": "1", "type": "subscribe", "payload": {"query": query}})
        code, reason = await _close_of(socket)
    assert code == 1009
    assert str(settings.max_body_bytes) in reason


async def test_a_message_at_the_limit_is_served(url: str, settings: Settings) -> None:
    message = {"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}, "pad": ""}
    spare = settings.max_body_bytes - len(json.dumps(message))
    message["pad"] = "é" * (spare // 2) + "x" * (spare % 2)  # two bytes each in UTF-8
    text = json.dumps(message, ensure_ascii=False)
    assert len(text.encode()) == settings.max_body_bytes
    async with graphql_ws(url, await _key()) as socket:
        await socket.connection.send(text)
        answer = await asyncio.wait_for(socket.receive(), timeout=10)
    assert answer["payload"] == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "message",
    [
        {"type": "subscribe", "payload": [1]},
        {"id": "1", "type": "subscribe", "payload": [1]},
        {"id": "1", "type": "subscribe", "payload": "{ __typename }"},
        {"id": "1", "type": "subscribe", "payload": {"query": 5}},
        {"id": "1", "type": "subscribe", "payload": {"query": "{ a }", "variables": [1]}},
        {"id": ["1"], "type": "complete"},
        {"id": "1" * 500, "type": "subscribe", "payload": {"query": "{ __typename }"}},
        {"type": "x" * 500},
        {"id": "1", "type": "subscribe", "payload": {"query": "x" * 500}},
        {"type": 7},
        [1],
        "subscribe",
        None,
    ],
    ids=[
        "no-id",
        "list-payload",
        "string-payload",
        "number-query",
        "list-variables",
        "list-id",
        "long-id",
        "long-type",
        "syntax-error-quoting-a-long-token",
        "number-type",
        "list",
        "string",
        "null",
    ],
)
async def test_a_malformed_message_is_closed_4400_with_a_reason(
    url: str, message: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with graphql_ws(url, await _key()) as socket:
        await socket.connection.send(json.dumps(message))
        code, reason = await _close_of(socket)
    assert code == 4400
    assert 0 < len(reason.encode()) <= 123
    _no_tracebacks(caplog)


async def test_json_nested_too_deep_is_closed_4400(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with graphql_ws(url, await _key()) as socket:
        await socket.connection.send("[" * 200_000)
        code, _ = await _close_of(socket)
    assert code == 4400
    _no_tracebacks(caplog)


async def test_sockets_per_key_are_capped_4429(url: str) -> None:
    key = await _key()
    async with graphql_ws(url, key), graphql_ws(url, key), graphql_ws(url, key) as third:
        async with graphql_ws(url, init=False) as fourth:
            init = {"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}}
            await fourth.send(init)
            code, reason = await _close_of(fourth)
        assert code == 4429
        assert "API key" in reason
        await third.connection.close()
        await asyncio.sleep(0.2)  # the server sees the close
        async with graphql_ws(url, key):
            pass  # a slot is free again


async def test_sockets_per_workspace_are_capped_4429(url: str) -> None:
    first, second, other = await _key(), await _key(), await _key("other")
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {second}"}}
    async with (
        graphql_ws(url, first),
        graphql_ws(url, first),
        graphql_ws(url, first),
        graphql_ws(url, second),
        graphql_ws(url, second),
    ):
        async with graphql_ws(url, init=False) as refused:
            await refused.send(init)
            code, reason = await _close_of(refused)
        assert code == 4429
        assert "workspace" in reason
        async with graphql_ws(url, other):
            pass  # other workspaces have their own count


async def _subscribed(url: str, key: str, count: int) -> ClientConnection:
    # A small fixed receive buffer, one frame read ahead and no compression (the repeated
    # prompts would shrink a thousandfold): what the server sends piles up on its side.
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    raw.connect(("127.0.0.1", int(url.split(":")[2].split("/")[0])))
    raw.setblocking(False)
    connection = await connect(
        url.replace("http", "ws", 1),
        sock=raw,
        subprotocols=[Subprotocol(PROTOCOL)],
        max_size=None,
        max_queue=1,
        compression=None,
    )
    client = GraphQLWebSocket(connection)
    await client.send({"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}})
    assert (await client.receive())["type"] == "connection_ack"
    for number in range(count):
        await client.subscribe(str(number), LARGE_EVENTS)
    return connection


async def test_a_client_that_does_not_read_is_closed_4408(
    url: str, api: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    # About 1.1 MB of JSON per event and subscription: "\ud83d\ude00" for every emoji.
    persona = await api.create_persona(voiceConfigurations=[voice_input(prompt="😀" * 32_000)])
    connection = await _subscribed(url, await _key(), 20)
    await asyncio.sleep(0.3)  # the subscriptions are registered once their resolvers run
    await api.ok(
        PUBLISH, "publishPersona", input={"personaId": persona["id"], "expectedRevision": 1}
    )

    for _ in range(100):
        if any("not reading" in record.getMessage() for record in caplog.records):
            break
        await asyncio.sleep(0.1)
    received, closed = await _drain(connection)
    assert closed.rcvd is not None
    assert closed.rcvd.code == 4408
    assert received < 20  # the rest were dropped, not kept waiting
    _no_tracebacks(caplog)


# The same bounds through a real `serve`, with uvicorn's own layer in front of the app.


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, mongo_server: EmbeddedDatabase
) -> Iterator[Server]:
    with serving(
        tmp_path_factory.mktemp("sockets"),
        MONGODB_URI=mongo_server.uri,
        REQUEST_READ_TIMEOUT="1",  # also how long a dropped socket has to read its close
    ) as running:
        yield running


def _served_connections(server: Server) -> int:
    """The server's end of its open TCP connections (IPv4 loopback), from /proc/net/tcp."""
    port = f":{int(server.url.rsplit(':', 1)[1]):04X}"
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(1 for row in rows if row[1].endswith(port) and row[3] == "01")  # ESTABLISHED


def _rss_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return (
        int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])
        * 1024
    )


async def test_serve_refuses_an_oversized_message_before_the_app(server: Server) -> None:
    async with graphql_ws(f"{server.url}/graphql", server.key) as socket:
        await socket.connection.send("x" * (BODY_LIMIT + 1))
        code, reason = await _close_of(socket)
    assert code == 1009
    assert "A message may be" not in reason  # uvicorn's websockets refused it, not the app


async def test_a_key_in_the_query_string_is_not_logged(server: Server) -> None:
    secret = random_key()
    async with graphql_ws(f"{server.url}/graphql?authorization={secret}", server.key):
        pass
    await asyncio.sleep(0.2)
    assert any('WebSocket /graphql\\" [accepted]' in line for line in server.lines)  # JSON
    assert not any(secret in line or "?authorization" in line for line in server.lines)


async def test_clients_that_do_not_read_are_dropped_and_memory_is_given_back(
    server: Server,
) -> None:
    created = await graphql_async(
        server,
        CREATE,
        input={"name": "Big", "voiceConfigurations": [voice_input(prompt="😀" * 32_000)]},
    )
    persona = created["createPersona"]["persona"]
    before = _rss_bytes(server.pid)
    dropped_before = sum("not reading" in line for line in server.lines)
    url = f"{server.url}/graphql"
    connections = [await _subscribed(url, server.key, 20) for _ in range(SLOW_SOCKETS)]
    try:
        await asyncio.sleep(0.5)  # the subscriptions are registered once their resolvers run
        await graphql_async(
            server, PUBLISH, input={"personaId": persona["id"], "expectedRevision": 1}
        )
        for _ in range(150):
            if sum("not reading" in line for line in server.lines) - dropped_before >= SLOW_SOCKETS:
                break
            await asyncio.sleep(0.1)
        # They had 1 s to take their close frames; the server lets go of them after that.
        for _ in range(100):
            if _served_connections(server) == 0:
                break
            await asyncio.sleep(0.1)
        assert _served_connections(server) == 0
        grown = _rss_bytes(server.pid) - before
        for connection in connections:
            await _drain(connection)  # each ends closed: reset, or 4408 when it all fitted
    finally:
        for connection in connections:
            connection.transport.abort()
    assert grown < 50 * 1024 * 1024, f"the server grew by {grown / 2**20:.0f} MB"

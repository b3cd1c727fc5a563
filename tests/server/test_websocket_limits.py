"""What one websocket may send and hold: message size and shape, sockets per key and
workspace, and what may wait for a client that does not read.

These bounds live in the app, so they are tested under stock uvicorn, in-process.
"""

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from app.access.keys import issue_key, workspace_named
from app.access.principal import Role
from app.platform.settings import Settings
from tests.support.client import PUBLISH, GraphQLClient, voice_input
from tests.support.inprocess import stock_uvicorn
from tests.support.ws import PROTOCOL, GraphQLWebSocket, graphql_ws

PER_KEY = 3
PER_WORKSPACE = 5
QUEUED = 64 * 1024
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

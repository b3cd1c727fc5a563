"""A websocket needs a valid key in connection_init, on a real server."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from app.platform.embedded import EmbeddedDatabase
from tests.support.client import (
    CREATE,
    CREATE_KEY,
    PUBLISH,
    REVOKE_KEY,
    random_key,
    voice_input,
)
from tests.support.processes import Server, graphql_async, serving
from tests.support.ws import graphql_ws

SUBSCRIPTION = "subscription { personaPublished { persona { id } version { version } } }"
REJECTED = (4401, 4403)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, mongo_server: EmbeddedDatabase
) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("keys"), MONGODB_URI=mongo_server.uri) as running:
        yield running


async def _closed_code(server: Server, init: dict[str, Any]) -> int:
    async with graphql_ws(f"{server.url}/graphql", init=False) as socket:
        await socket.send(init)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.receive(), timeout=5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


@pytest.mark.parametrize(
    "init",
    [
        {"type": "connection_init"},
        {"type": "connection_init", "payload": {}},
        {"type": "connection_init", "payload": {"authorization": ""}},
        {"type": "connection_init", "payload": {"authorization": "Bearer"}},
        {"type": "connection_init", "payload": {"authorization": f"Bearer {random_key()}"}},
        {"type": "connection_init", "payload": {"authorization": 42}},
    ],
    ids=["no-payload", "empty-payload", "empty-key", "bearer-alone", "unknown-key", "not-text"],
)
async def test_a_socket_without_a_valid_key_is_closed(server: Server, init: dict[str, Any]) -> None:
    assert await _closed_code(server, init) in REJECTED


async def test_a_socket_with_a_key_without_its_scheme_is_closed(server: Server) -> None:
    init = {"type": "connection_init", "payload": {"authorization": server.key}}
    assert await _closed_code(server, init) in REJECTED


async def test_a_subscribe_before_connection_init_is_refused(server: Server) -> None:
    async with graphql_ws(f"{server.url}/graphql", init=False) as socket:
        await socket.subscribe("1", SUBSCRIPTION)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.receive(), timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


async def test_a_socket_with_a_revoked_key_is_closed(server: Server) -> None:
    created = await graphql_async(server, CREATE_KEY, input={"name": "ws", "role": "VIEWER"})
    key = created["createApiKey"]["key"]
    async with graphql_ws(f"{server.url}/graphql", key):
        pass  # the key works before it is revoked
    await graphql_async(server, REVOKE_KEY, input={"id": created["createApiKey"]["apiKey"]["id"]})

    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}}
    assert await _closed_code(server, init) in REJECTED


async def test_a_socket_with_a_good_key_is_acknowledged_and_may_subscribe(server: Server) -> None:
    created = await graphql_async(server, CREATE_KEY, input={"name": "ws ok", "role": "VIEWER"})
    key = created["createApiKey"]["key"]
    persona = (
        await graphql_async(
            server, CREATE, input={"name": "Socket", "voiceConfigurations": [voice_input()]}
        )
    )["createPersona"]["persona"]

    async with graphql_ws(f"{server.url}/graphql", key) as socket:
        await socket.subscribe("1", SUBSCRIPTION)
        await asyncio.sleep(0.3)  # the subscription is registered once its resolver runs
        published = await graphql_async(
            server, PUBLISH, input={"personaId": persona["id"], "expectedRevision": 1}
        )
        assert published["publishPersona"]["userErrors"] == []
        message = await asyncio.wait_for(socket.receive(), timeout=5)

    assert message["type"] == "next"
    assert message["id"] == "1"
    assert message["payload"]["data"]["personaPublished"] == {
        "persona": {"id": persona["id"]},
        "version": {"version": 1},
    }

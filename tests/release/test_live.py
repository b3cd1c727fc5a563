"""Live notifications through real `persona-api serve` processes and real websockets."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from app.platform.embedded import EmbeddedDatabase
from graphql_schema.app import MAX_SUBSCRIPTIONS
from tests.support.client import CREATE, voice_input
from tests.support.deployment_events import standalone_database as standalone
from tests.support.processes import Server, free_port, graphql_async, serving, serving_two
from tests.support.ws import graphql_ws

SUBSCRIPTION = """
subscription($personaId: ID) {
  personaPublished(personaId: $personaId) { eventId rollback version { version } persona { id } }
}
"""
PUBLISH = """
mutation($i: PublishPersonaInput!) { publishPersona(input: $i) { userErrors { code } } }
"""
UPDATE = """
mutation($i: UpdatePersonaInput!) { updatePersona(input: $i) { persona { revision } } }
"""
ROLLBACK = """
mutation($i: RollbackPersonaInput!) { rollbackPersona(input: $i) { userErrors { code } } }
"""


async def _new_persona(server: Server) -> dict[str, Any]:
    created = await graphql_async(
        server, CREATE, input={"name": "Live", "voiceConfigurations": [voice_input()]}
    )
    persona: dict[str, Any] = created["createPersona"]["persona"]
    return persona


async def _publish(server: Server, persona_id: str, revision: int) -> None:
    data = await graphql_async(
        server, PUBLISH, i={"personaId": persona_id, "expectedRevision": revision}
    )
    assert data["publishPersona"]["userErrors"] == []


async def _rename(server: Server, persona_id: str, revision: int, name: str) -> int:
    data = await graphql_async(
        server, UPDATE, i={"id": persona_id, "expectedRevision": revision, "name": name}
    )
    revision_after: int = data["updatePersona"]["persona"]["revision"]
    return revision_after


async def test_a_publish_through_one_process_reaches_a_subscriber_of_another(
    tmp_path: Path, mongo_server: EmbeddedDatabase
) -> None:
    with serving_two(tmp_path, mongo_server.uri) as (first, second):
        persona = await _new_persona(second)
        async with graphql_ws(f"{first.url}/graphql", first.key) as socket:
            await socket.subscribe("1", SUBSCRIPTION, personaId=persona["id"])
            await asyncio.sleep(0.3)  # the subscription is registered once its resolver runs
            await _publish(second, persona["id"], persona["revision"])
            message = await asyncio.wait_for(socket.receive(), timeout=2)
            assert message["type"] == "next"
            event = message["payload"]["data"]["personaPublished"]
            assert event["version"] == {"version": 1}
            assert event["persona"] == {"id": persona["id"]}
            assert event["rollback"] is False

            revision = await _rename(second, persona["id"], persona["revision"], "Live 2")
            await _publish(second, persona["id"], revision)
            await graphql_async(second, ROLLBACK, i={"personaId": persona["id"], "version": 1})
            versions = []
            for _ in range(2):
                message = await asyncio.wait_for(socket.receive(), timeout=2)
                versions.append(message["payload"]["data"]["personaPublished"])
            assert [(v["version"]["version"], v["rollback"]) for v in versions] == [
                (2, False),
                (3, True),
            ]
            assert len({event["eventId"], *(v["eventId"] for v in versions)}) == 3
    for data_dir in (tmp_path / "a", tmp_path / "b"):
        assert not (data_dir / "db").exists(), "an embedded database started despite MONGODB_URI"


async def test_a_database_restart_mid_subscription_loses_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    database = EmbeddedDatabase(tmp_path / "database", port=free_port())
    database.start()
    try:
        with serving(tmp_path / "api", MONGODB_URI=database.uri) as server:
            persona = await _new_persona(server)
            async with graphql_ws(f"{server.url}/graphql", server.key) as socket:
                await socket.subscribe("1", SUBSCRIPTION)
                await asyncio.sleep(0.3)
                await _publish(server, persona["id"], persona["revision"])
                first = await asyncio.wait_for(socket.receive(), timeout=2)
                assert first["payload"]["data"]["personaPublished"]["version"]["version"] == 1

                database.stop()
                database.start()

                revision = persona["revision"]
                revision = await _rename(server, persona["id"], revision, "After restart")
                await _publish(server, persona["id"], revision)
                after = await asyncio.wait_for(socket.receive(), timeout=15)
                assert after["payload"]["data"]["personaPublished"]["version"]["version"] == 2
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(socket.receive(), timeout=1.5)
    finally:
        database.stop()


async def test_a_socket_without_connection_init_is_closed(
    tmp_path: Path, mongo_server: EmbeddedDatabase
) -> None:
    with serving(tmp_path, MONGODB_URI=mongo_server.uri) as server:
        async with graphql_ws(f"{server.url}/graphql", init=False) as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.receive(), timeout=15)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4408


async def test_subscriptions_per_connection_are_capped(
    tmp_path: Path, mongo_server: EmbeddedDatabase
) -> None:
    with serving(tmp_path, MONGODB_URI=mongo_server.uri) as server:
        async with graphql_ws(f"{server.url}/graphql", server.key) as socket:
            for index in range(MAX_SUBSCRIPTIONS + 1):
                await socket.subscribe(str(index), SUBSCRIPTION)
            refused = await asyncio.wait_for(socket.receive(), timeout=5)
    assert refused["type"] == "error"
    assert refused["id"] == str(MAX_SUBSCRIPTIONS)
    assert refused["payload"][0]["message"] == "Subscription limit reached"


@pytest.fixture
def standalone_database(tmp_path: Path) -> Iterator[str]:
    """A server that, like a standalone mongod, offers no change streams."""
    with standalone(tmp_path / "standalone") as uri:
        yield uri


async def test_without_change_streams_events_reach_the_same_process(
    tmp_path: Path, standalone_database: str
) -> None:
    with serving(tmp_path / "api", MONGODB_URI=standalone_database) as server:
        persona = await _new_persona(server)
        async with graphql_ws(f"{server.url}/graphql", server.key) as socket:
            await socket.subscribe("1", SUBSCRIPTION)
            await asyncio.sleep(0.3)
            await _publish(server, persona["id"], persona["revision"])
            message = await asyncio.wait_for(socket.receive(), timeout=2)
            assert message["payload"]["data"]["personaPublished"]["version"]["version"] == 1
    warnings = [line for line in server.lines if "has no change streams" in line]
    assert len(warnings) == 1
    assert "WARNING" in warnings[0]

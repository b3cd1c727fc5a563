"""liveConfiguration from memory: served without the database, never behind the news."""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from app.access.keys import workspace_named
from app.platform.embedded import EmbeddedDatabase
from app.release.documents import PRODUCTION
from app.release.livecache import ServedCache
from graphql_schema.ids import decode_object_id
from tests.conftest import ClientFactory, CommandLog
from tests.support.client import (
    CREATE,
    DELETE,
    PUBLISH,
    ROLLBACK,
    UPDATE,
    GraphQLClient,
    publish,
    voice_input,
)
from tests.support.processes import Server, graphql_async, serving_two

LIVE = """
query($id: ID!) {
  liveConfiguration(personaId: $id, channel: VOICE, locale: "en-US") { version name }
}
"""


async def _live(client: GraphQLClient, persona_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await client.data(LIVE, id=persona_id))["liveConfiguration"]
    return found


async def _published(client: GraphQLClient, name: str = "Live") -> dict[str, Any]:
    persona = await client.create_persona(name=name, voiceConfigurations=[voice_input()])
    await publish(client, persona)
    return persona


@pytest.fixture
async def served(app: Starlette, client_for: ClientFactory) -> AsyncIterator[GraphQLClient]:
    """A client of the app with its lifespan running: it follows the change stream and caches."""
    async with app.router.lifespan_context(app):
        yield await client_for()


async def test_a_call_start_is_answered_from_memory_after_the_first(
    served: GraphQLClient, command_log: CommandLog
) -> None:
    persona = await _published(served)
    assert await _live(served, persona["id"]) == {"version": 1, "name": "Live"}

    command_log.documents = []
    for _ in range(5):
        assert await _live(served, persona["id"]) == {"version": 1, "name": "Live"}
    sent, command_log.documents = command_log.documents, None
    assert [command for command in sent if command.get("find") == "personas"] == []


async def test_the_publishing_process_reads_its_own_publish_at_once(
    served: GraphQLClient,
) -> None:
    persona = await _published(served)
    assert (await _live(served, persona["id"]) or {})["version"] == 1
    for version in (2, 3):
        edit = {"id": persona["id"], "expectedRevision": persona["revision"], "name": f"v{version}"}
        persona = (await served.data(UPDATE, input=edit))["updatePersona"]["persona"]
        await publish(served, persona)
        assert await _live(served, persona["id"]) == {"version": version, "name": f"v{version}"}
    await served.data(ROLLBACK, input={"personaId": persona["id"], "version": 1})
    assert await _live(served, persona["id"]) == {"version": 4, "name": "Live"}
    await served.data(DELETE, input={"id": persona["id"]})
    assert await _live(served, persona["id"]) is None


async def test_another_workspace_never_reads_a_cached_persona(
    served: GraphQLClient, client_for: ClientFactory
) -> None:
    persona = await _published(served)
    assert await _live(served, persona["id"]) is not None
    stranger = await client_for(workspace="globex")
    assert await _live(stranger, persona["id"]) is None


async def test_a_stranger_asking_first_hides_nothing_from_the_owner(
    api: GraphQLClient,
) -> None:
    persona = await _published(api)
    object_id = decode_object_id(persona["id"], "Persona")
    assert object_id is not None
    owner, stranger = await workspace_named("acme"), await workspace_named("globex")
    assert owner.id is not None
    assert stranger.id is not None
    # A process that heard nothing of this persona yet, as one started after its publish.
    cache = ServedCache()
    assert (await cache.read(stranger.id, object_id, PRODUCTION))[0] is None
    served, _ = await cache.read(owner.id, object_id, PRODUCTION)
    assert served is not None
    assert served.baseline is not None
    assert served.baseline.version == 1
    assert (await cache.read(stranger.id, object_id, PRODUCTION))[0] is None


async def _live_at(server: Server, persona_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await graphql_async(server, LIVE, id=persona_id))[
        "liveConfiguration"
    ]
    return found


async def _versions_seen(server: Server, persona_id: str, until: int | None) -> list[int | None]:
    """What `server` answers, polled until it answers `until` (None: the persona is gone)."""
    seen: list[int | None] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        live = await _live_at(server, persona_id)
        seen.append(live["version"] if live else None)
        if seen[-1] == until:
            return seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"{server.url} never answered {until}: {seen[-5:]}")


async def test_every_process_follows_publishes_rollbacks_and_deletes(
    tmp_path: Path, mongo_server: EmbeddedDatabase
) -> None:
    with serving_two(tmp_path, mongo_server.uri) as (writer, reader):
        created = await graphql_async(
            writer, CREATE, input={"name": "Live", "voiceConfigurations": [voice_input()]}
        )
        persona = created["createPersona"]["persona"]
        pid = persona["id"]
        assert await _live_at(reader, pid) is None  # never published: nothing to serve
        await graphql_async(writer, PUBLISH, input={"personaId": pid, "expectedRevision": 1})
        assert await _versions_seen(reader, pid, until=1)  # cached from here on
        edit = {"id": pid, "expectedRevision": persona["revision"], "name": "Live 2"}
        revision = (await graphql_async(writer, UPDATE, input=edit))["updatePersona"]["persona"][
            "revision"
        ]
        await graphql_async(writer, PUBLISH, input={"personaId": pid, "expectedRevision": revision})
        seen = await _versions_seen(reader, pid, until=2)
        assert set(seen) <= {1, 2}
        await graphql_async(writer, ROLLBACK, input={"personaId": pid, "version": 1})
        seen = await _versions_seen(reader, pid, until=3)
        # Once the rollback's news arrived, version 2 is never served again.
        for _ in range(10):
            assert await _live_at(reader, pid) == {"version": 3, "name": "Live"}
        assert set(seen) <= {2, 3}
        await graphql_async(writer, DELETE, input={"id": pid})
        await _versions_seen(reader, pid, until=None)

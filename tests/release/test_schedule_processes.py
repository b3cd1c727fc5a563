"""Exactly once across real `serve` processes on one database: a schedule whose claimer is
killed mid-way is completed by the other process after the lease, and many due schedules
raced by two processes each publish once."""

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.platform.database import MongoDatabase, connect
from app.platform.embedded import EmbeddedDatabase
from tests.release.publishing import publishable
from tests.support.client import CREATE, UPDATE, object_id
from tests.support.processes import Server, graphql_async, serving
from tests.support.schedules import NODE, SCHEDULE, eventually

LEASE_SECONDS = 3


@pytest.fixture
def shared(mongo_server: EmbeddedDatabase) -> dict[str, str]:
    """What puts every server of a test on one fresh database."""
    name = f"sched_{uuid.uuid4().hex[:8]}"
    return {"MONGODB_URI": mongo_server.uri, "MONGODB_DATABASE": name}


@pytest.fixture
async def stored(shared: dict[str, str]) -> AsyncIterator[MongoDatabase]:
    """The servers' database, read directly."""
    client = connect(shared["MONGODB_URI"])
    yield client[shared["MONGODB_DATABASE"]]
    await client.drop_database(shared["MONGODB_DATABASE"])
    await client.close()


@contextmanager
def _servers(
    tmp_path: Path, shared: dict[str, str], *settings: dict[str, str]
) -> Iterator[list[Server]]:
    """A server per `settings`, started in order on one database, all holding its first key."""
    with ExitStack() as stack:
        servers: list[Server] = []
        for index, extra in enumerate(settings):
            server = stack.enter_context(serving(tmp_path / str(index), **shared, **extra))
            if servers:
                server.lines.append(f"    {servers[0].key}")
            servers.append(server)
        yield servers


def _lease(**extra: str) -> dict[str, str]:
    return {"SCHEDULE_LEASE_SECONDS": str(LEASE_SECONDS), **extra}


async def _persona(server: Server) -> dict[str, Any]:
    data = await graphql_async(server, CREATE, input={"name": "Sales", **publishable()})
    persona: dict[str, Any] = data["createPersona"]["persona"]
    return persona


async def _schedule(server: Server, persona: dict[str, Any], at: datetime) -> str:
    input = {"personaId": persona["id"], "expectedRevision": persona["revision"]}
    data = await graphql_async(server, SCHEDULE, input={**input, "at": at.isoformat()})
    payload = data["schedulePublish"]
    assert payload["userErrors"] == [], payload["userErrors"]
    schedule_id: str = payload["scheduledPublish"]["id"]
    return schedule_id


async def test_a_claimer_killed_mid_way_is_completed_by_the_other_after_its_lease(
    tmp_path: Path, shared: dict[str, str], stored: MongoDatabase
) -> None:
    schedules = stored["scheduled_publishes"]
    pausing = _lease(SCHEDULE_PAUSE_AFTER_CLAIM_SECONDS="600")
    with _servers(tmp_path, shared, pausing) as (doomed,):
        persona = await _persona(doomed)
        schedule_id = await _schedule(doomed, persona, datetime.now(UTC) + timedelta(seconds=2))
        claimed = await eventually(lambda: schedules.find_one({"claim": {"$ne": None}}))
        with _servers(tmp_path / "later", shared, _lease()) as (survivor,):
            survivor.lines.append(f"    {doomed.key}")
            assert doomed.process is not None
            doomed.process.kill()  # SIGKILL while it holds the claim, paused before publishing
            doomed.process.wait(timeout=30)

            async def done() -> dict[str, Any] | None:
                found = (await graphql_async(survivor, NODE, id=schedule_id))["node"]
                return found if found["status"] != "PENDING" else None

            finished = await eventually(done)

    assert finished["status"] == "DONE"
    assert finished["version"]["version"] == 1
    versions = await stored["persona_versions"].find({}).to_list()
    assert [v["version"] for v in versions] == [1]
    assert versions[0]["published_at"] >= claimed["claimed_until"] - timedelta(milliseconds=1)
    published = await stored["deployment_changes"].find({"kind": "PUBLISHED"}).to_list()
    assert len(published) == 1
    final = await schedules.find_one({})
    assert final is not None
    assert final["claim"] != claimed["claim"]


async def test_many_due_schedules_raced_by_two_processes_each_publish_once(
    tmp_path: Path, shared: dict[str, str], stored: MongoDatabase
) -> None:
    with _servers(tmp_path, shared, _lease(), _lease()) as (first, second):
        at = datetime.now(UTC) + timedelta(seconds=4)
        made: list[str] = []
        personas = [await _persona(first) for _ in range(3)]
        for round_ in range(3):
            for index, persona in enumerate(personas):
                server = (first, second)[(round_ + index) % 2]
                made.append(await _schedule(server, persona, at))
                edit = {"id": persona["id"], "expectedRevision": persona["revision"]}
                data = await graphql_async(server, UPDATE, input={**edit, "name": f"r{round_}"})
                personas[index] = data["updatePersona"]["persona"]

        async def all_finished() -> bool:
            pending = await stored["scheduled_publishes"].count_documents({"status": "PENDING"})
            return pending == 0

        await eventually(all_finished)

    rows = await stored["scheduled_publishes"].find({}).to_list()
    assert len(rows) == len(made) == 9
    assert {row["status"] for row in rows} == {"DONE"}
    for persona in personas:
        numbers = sorted(
            v["version"]
            for v in await stored["persona_versions"].find({}).to_list()
            if v["persona_id"] == object_id(persona["id"])
        )
        assert numbers == [1, 2, 3]
    published = await stored["deployment_changes"].find({"kind": "PUBLISHED"}).to_list()
    assert sorted(str(change["schedule_id"]) for change in published) == sorted(
        str(row["_id"]) for row in rows
    )
    assert sorted(row["version"] for row in rows) == [1, 1, 1, 2, 2, 2, 3, 3, 3]

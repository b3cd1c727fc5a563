"""Scheduled publishes running: at their time, once, with the draft as it was scheduled; and
the ones that cannot run, which end FAILED with a SCHEDULE_FAILED record.

Runs are driven two ways: by the runner of an app whose lifespan runs (real time), and by
claiming at a chosen moment through app.release.schedule_runs (no waiting, exact races).
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from beanie import PydanticObjectId
from starlette.applications import Starlette

from app.platform.database import MongoDatabase
from app.release import rollouts
from app.release.schedule_documents import ScheduleStatus
from app.release.schedule_runs import claim_due, run_claimed
from graphql_schema.ids import decode_object_id
from tests.conftest import ClientFactory
from tests.release.publishing import create, publishable, read, update
from tests.support.client import DELETE, GraphQLClient, mutate, object_id, publish, versions_of
from tests.support.library import DELETE_TOOL, attach, create_tool, set_tools
from tests.support.schedules import (
    CANCEL,
    changes_of,
    drop_environment,
    eventually,
    finished,
    moment,
    read_schedule,
    scheduled,
    store_environment,
)

LEASE = timedelta(seconds=30)


@pytest.fixture
async def running(app: Starlette, client_for: ClientFactory) -> AsyncIterator[GraphQLClient]:
    """A client of the app with its lifespan, so its schedule runner, running."""
    async with app.router.lifespan_context(app):
        yield await client_for()


def _later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def _run_at(moment_: datetime) -> ScheduleStatus | None:
    """Claim what is due at `moment_` and run it, as a runner would then."""
    claimed = await claim_due(moment_, LEASE)
    assert claimed is not None, "nothing was due"
    return await run_claimed(claimed)


async def test_a_due_schedule_publishes_the_draft_as_scheduled_soon_after_at(
    running: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(running, **publishable())
    at = _later(2.5)
    schedule_id = await scheduled(running, persona, at.isoformat(), note="On time")
    edited = await update(running, persona, name="Edited after scheduling")

    # Generous for a loaded machine, and still far short of a 30 s poll.
    done = await eventually(
        lambda: _done(running, schedule_id), within=(at - datetime.now(UTC)).total_seconds() + 15
    )

    assert done["version"]["version"] == 1
    assert done["version"]["note"] == "On time"
    assert done["version"]["snapshot"] == persona["draft"] == done["snapshot"]
    now = await read(running, persona["id"])
    assert now["production"]["version"] == 1
    assert now["production"]["snapshot"]["name"] == "Sales"
    assert now["draft"] == edited["draft"]
    assert now["revision"] == edited["revision"]  # the publish left the draft alone
    (version,) = await database["persona_versions"].find({}).to_list()
    assert version["published_at"] >= at - timedelta(milliseconds=1)  # never early
    (change,) = await changes_of(database, "PUBLISHED")
    assert change["schedule_id"] == decode_object_id(schedule_id, "ScheduledPublish")
    assert change["published"] == 1


async def _done(api: GraphQLClient, schedule_id: str) -> dict[str, Any] | None:
    found = await read_schedule(api, schedule_id)
    assert found["status"] in ("PENDING", "DONE"), found
    return found if found["status"] == "DONE" else None


async def test_a_cancelled_schedule_never_runs_and_a_done_one_cannot_be_cancelled(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())
    cancelled = await scheduled(api, persona, moment(60))
    await mutate(api, CANCEL, id=cancelled)
    assert await claim_due(_later(120), LEASE) is None

    second = await scheduled(api, persona, moment(60))
    assert await _run_at(_later(120)) is ScheduleStatus.DONE
    refused = await mutate(api, CANCEL, id=second)
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("CONFLICT", ["id"])]
    assert await versions_of(database, persona["id"]) == [1]
    assert (await read_schedule(api, cancelled))["status"] == "CANCELLED"


async def test_a_cancel_while_claimed_leaves_the_claim_nothing_to_publish(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())
    schedule_id = await scheduled(api, persona, moment(60))
    claimed = await claim_due(_later(120), LEASE)
    assert claimed is not None

    assert (await mutate(api, CANCEL, id=schedule_id))["userErrors"] == []

    assert await run_claimed(claimed) is None
    assert await versions_of(database, persona["id"]) == []
    assert (await read_schedule(api, schedule_id))["status"] == "CANCELLED"


async def test_a_claim_outlived_by_its_lease_publishes_nothing_the_next_claim_does(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())
    schedule_id = await scheduled(api, persona, moment(60))
    first = await claim_due(_later(61), LEASE)
    assert first is not None
    assert await claim_due(_later(62), LEASE) is None  # held by the first claim
    second = await claim_due(_later(61) + LEASE + timedelta(seconds=1), LEASE)
    assert second is not None
    assert second.claim != first.claim

    assert await run_claimed(first) is None  # its process woke past its lease
    assert await versions_of(database, persona["id"]) == []
    assert await run_claimed(second) is ScheduleStatus.DONE
    assert await run_claimed(first) is None
    assert await run_claimed(second) is None  # finishing is once, even for its holder

    assert await versions_of(database, persona["id"]) == [1]
    assert len(await changes_of(database, "PUBLISHED")) == 1
    assert (await read_schedule(api, schedule_id))["status"] == "DONE"


async def test_a_schedule_takes_the_next_version_after_publishes_meanwhile(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())
    schedule_id = await scheduled(api, persona, moment(60))
    await publish(api, await update(api, persona, name="Published by hand"))

    assert await _run_at(_later(120)) is ScheduleStatus.DONE

    assert await versions_of(database, persona["id"]) == [1, 2]
    done = await read_schedule(api, schedule_id)
    assert done["version"]["version"] == 2
    assert done["version"]["snapshot"]["name"] == "Sales"
    assert (await read(api, persona["id"]))["production"]["version"] == 2


async def _assert_failed(
    api: GraphQLClient, database: MongoDatabase, schedule_id: str, words: str
) -> dict[str, Any]:
    failed = await read_schedule(api, schedule_id)
    assert failed["status"] == "FAILED"
    assert words in failed["error"], failed["error"]
    assert failed["version"] is None
    (record,) = await changes_of(database, "SCHEDULE_FAILED")
    assert record["schedule_id"] == decode_object_id(schedule_id, "ScheduledPublish")
    assert record["error"] == failed["error"]
    return dict(record)


async def test_a_deleted_environment_fails_the_schedule(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())
    await store_environment(api.principal.workspace_id, "staging")
    schedule_id = await scheduled(api, persona, moment(60), environment="staging")
    await drop_environment(api.principal.workspace_id, "staging")

    assert await _run_at(_later(120)) is ScheduleStatus.FAILED

    record = await _assert_failed(api, database, schedule_id, "environment 'staging'")
    assert record["environment"] == "staging"
    assert record["deployment"] is None
    assert await versions_of(database, persona["id"]) == []


async def test_a_deleted_persona_fails_the_schedule_on_time(
    running: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(running, **publishable())
    at = _later(2)
    schedule_id = await scheduled(running, persona, at.isoformat())
    await mutate(running, DELETE, id=persona["id"])

    failed = await finished(running, schedule_id)

    assert failed["status"] == "FAILED"
    record = await _assert_failed(running, database, schedule_id, "persona was deleted")
    assert record["persona_id"] == object_id(persona["id"])
    assert await database["persona_versions"].count_documents({}) == 0


async def test_a_tool_deleted_meanwhile_fails_the_schedule(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    tool = await create_tool(api)
    persona = await set_tools(api, await create(api, **publishable()), attach(tool))
    schedule_id = await scheduled(api, persona, moment(60))
    await set_tools(api, persona, [])
    assert (await mutate(api, DELETE_TOOL, id=tool["id"]))["userErrors"] == []

    assert await _run_at(_later(120)) is ScheduleStatus.FAILED

    await _assert_failed(api, database, schedule_id, "tool was deleted")
    assert await versions_of(database, persona["id"]) == []


async def test_a_running_rollout_fails_the_schedule_and_is_left_alone(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())
    await publish(api, persona)
    persona = await update(api, persona, name="Second")
    await publish(api, persona)
    pid = PydanticObjectId(object_id(persona["id"]))
    await rollouts.start_rollout(api.principal, pid, "production", 1, 10, None)
    schedule_id = await scheduled(api, await update(api, persona, name="Third"), moment(60))

    assert await _run_at(_later(120)) is ScheduleStatus.FAILED

    record = await _assert_failed(api, database, schedule_id, "rollout")
    assert record["deployment"]["version"] == 2
    assert record["deployment"]["rollout"]["percent"] == 10
    assert await versions_of(database, persona["id"]) == [1, 2]

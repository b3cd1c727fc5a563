"""schedulePublish and cancelScheduledPublish over GraphQL: what they accept, refuse and show.

No runner runs here (the app's lifespan is not entered): schedules stay PENDING.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.access.principal import Role
from app.platform.database import MongoDatabase
from tests.conftest import ClientFactory
from tests.release.publishing import create, publishable, read, update
from tests.support.client import GraphQLClient, errors_of, mutate, publish
from tests.support.schedules import (
    CANCEL,
    NODE,
    SCHEDULES,
    moment,
    read_schedule,
    schedule,
    scheduled,
    store_environment,
)

AT = ["input", "at"]


async def _schedules(api: GraphQLClient, persona_id: str, status: str | None = None) -> Any:
    return (await api.data(SCHEDULES, id=persona_id, status=status))["persona"]


async def test_a_schedule_freezes_the_draft_and_leaves_the_persona_as_it_was(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())
    at = datetime.now(UTC) + timedelta(hours=1)

    payload = await schedule(api, persona, at.isoformat(), note="Monday launch")

    assert payload["userErrors"] == []
    made = payload["scheduledPublish"]
    assert made["status"] == "PENDING"
    assert made["environment"] == "production"
    assert made["note"] == "Monday launch"
    assert made["version"] is None
    assert made["error"] is None
    assert made["createdBy"]
    assert abs(datetime.fromisoformat(made["at"]) - at) < timedelta(milliseconds=1)
    assert made["snapshot"] == persona["draft"]
    assert await read(api, persona["id"]) == persona  # revision and all unchanged
    assert await database["persona_versions"].count_documents({}) == 0

    edited = await update(api, persona, name="Edited meanwhile")
    assert (await read_schedule(api, made["id"]))["snapshot"]["name"] == "Sales"
    assert (await read_schedule(api, made["id"]))["snapshot"] != edited["draft"]


async def test_persona_lists_its_schedules_by_status_in_order_of_at(api: GraphQLClient) -> None:
    persona = await create(api, **publishable())
    later = await scheduled(api, persona, moment(7200))
    sooner = await scheduled(api, persona, moment(3600))
    await mutate(api, CANCEL, id=later)

    everything = await _schedules(api, persona["id"])
    assert [s["id"] for s in everything["scheduledPublishes"]] == [sooner, later]
    pending = await _schedules(api, persona["id"], "PENDING")
    assert [s["id"] for s in pending["scheduledPublishes"]] == [sooner]
    cancelled = await _schedules(api, persona["id"], "CANCELLED")
    assert [s["status"] for s in cancelled["scheduledPublishes"]] == ["CANCELLED"]
    assert (await _schedules(api, persona["id"], "DONE"))["scheduledPublishes"] == []


@pytest.mark.parametrize(
    "at",
    [
        timedelta(seconds=-1),
        timedelta(days=-400),
        timedelta(days=366, minutes=1),
        timedelta(days=3000),
    ],
    ids=["just-past", "long-past", "366-days-and-a-minute", "years-ahead"],
)
async def test_at_outside_the_next_366_days_is_invalid(
    api: GraphQLClient, database: MongoDatabase, at: timedelta
) -> None:
    persona = await create(api, **publishable())

    payload = await schedule(api, persona, (datetime.now(UTC) + at).isoformat())

    assert errors_of(payload) == [("INVALID", AT)]
    assert payload["scheduledPublish"] is None
    assert await database["scheduled_publishes"].count_documents({}) == 0


async def test_at_within_366_days_and_without_an_offset(api: GraphQLClient) -> None:
    persona = await create(api, **publishable())
    assert (await schedule(api, persona, moment(365.9 * 86400)))["userErrors"] == []

    naive = (datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    payload = await schedule(api, persona, naive)
    assert errors_of(payload) == [("INVALID", AT)]
    assert "offset" in payload["userErrors"][0]["message"]


async def test_refusals_change_nothing(api: GraphQLClient, database: MongoDatabase) -> None:
    persona = await create(api, **publishable())
    at = moment(3600)

    stale = await schedule(api, persona, at, expectedRevision=persona["revision"] + 1)
    assert errors_of(stale) == [("REVISION_MISMATCH", ["expectedRevision"])]
    nowhere = await schedule(api, persona, at, environment="staging")
    assert errors_of(nowhere) == [("NOT_FOUND", ["environment"])]
    unknown = await schedule(api, {**persona, "id": "UGVyc29uYTpub25l"}, at)
    assert errors_of(unknown) == [("NOT_FOUND", ["personaId"])]
    long_note = await schedule(api, persona, at, note="x" * 1001)
    assert errors_of(long_note) == [("INVALID", ["note"])]
    assert await database["scheduled_publishes"].count_documents({}) == 0


async def test_a_draft_that_could_not_be_published_now_is_refused(api: GraphQLClient) -> None:
    incomplete = await create(api)
    refused = await schedule(api, incomplete, moment(3600))
    assert {code for code, _ in errors_of(refused)} == {"NOT_PUBLISHABLE"}
    assert refused["userErrors"][0]["field"][0] == "draft"

    persona = await create(api, **publishable())
    await publish(api, persona)
    same = await schedule(api, persona, moment(3600))
    assert errors_of(same) == [("NOTHING_TO_PUBLISH", ["personaId"])]


async def test_another_environment_is_scheduled_against_what_it_serves(
    api: GraphQLClient,
) -> None:
    persona = await create(api, **publishable())
    await publish(api, persona)  # production serves the draft; staging nothing yet
    await store_environment(api.principal.workspace_id, "staging")

    payload = await schedule(api, persona, moment(3600), environment="staging")

    assert payload["userErrors"] == []
    assert payload["scheduledPublish"]["environment"] == "staging"


async def test_cancel_a_pending_schedule_once(api: GraphQLClient) -> None:
    persona = await create(api, **publishable())
    schedule_id = await scheduled(api, persona, moment(3600))

    cancelled = await mutate(api, CANCEL, id=schedule_id)
    assert cancelled["userErrors"] == []
    assert cancelled["scheduledPublish"]["status"] == "CANCELLED"
    assert (await read_schedule(api, schedule_id))["status"] == "CANCELLED"

    again = await mutate(api, CANCEL, id=schedule_id)
    assert errors_of(again) == [("CONFLICT", ["id"])]
    assert again["scheduledPublish"] is None
    for bad in ("nonsense", persona["id"]):
        assert errors_of(await mutate(api, CANCEL, id=bad)) == [("NOT_FOUND", ["id"])]


async def test_an_editor_may_not_schedule_nor_cancel_a_publisher_may(
    client_for: ClientFactory, database: MongoDatabase
) -> None:
    editor = await client_for(Role.EDITOR)
    publisher = await client_for(Role.PUBLISHER)
    viewer = await client_for(Role.VIEWER)
    persona = await create(editor, **publishable())

    refused = await schedule(editor, persona, moment(3600))
    assert errors_of(refused) == [("FORBIDDEN", None)]
    assert await database["scheduled_publishes"].count_documents({}) == 0

    schedule_id = await scheduled(publisher, persona, moment(3600))
    assert errors_of(await mutate(editor, CANCEL, id=schedule_id)) == [("FORBIDDEN", None)]
    assert (await read_schedule(viewer, schedule_id))["status"] == "PENDING"
    listed = await _schedules(viewer, persona["id"])
    assert [s["id"] for s in listed["scheduledPublishes"]] == [schedule_id]
    assert (await mutate(publisher, CANCEL, id=schedule_id))["userErrors"] == []


async def test_another_workspace_neither_sees_nor_cancels_a_schedule(
    client_for: ClientFactory,
) -> None:
    ours = await client_for(Role.ADMIN, "acme")
    theirs = await client_for(Role.ADMIN, "globex")
    persona = await create(ours, **publishable())
    schedule_id = await scheduled(ours, persona, moment(3600))

    assert (await theirs.data(NODE, id=schedule_id))["node"] is None
    assert (await theirs.data(SCHEDULES, id=persona["id"], status=None))["persona"] is None
    assert errors_of(await mutate(theirs, CANCEL, id=schedule_id)) == [("NOT_FOUND", ["id"])]
    refused = await schedule(theirs, persona, moment(3600))
    assert errors_of(refused) == [("NOT_FOUND", ["personaId"])]
    assert (await read_schedule(ours, schedule_id))["status"] == "PENDING"

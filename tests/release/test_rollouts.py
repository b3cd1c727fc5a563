"""Rollouts over GraphQL: their steps, refusals, and the arm every call start is served."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette

from app.platform.database import MongoDatabase
from app.release.arms import arm_for
from app.release.documents import Rollout
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient, errors_of, mutate, object_id
from tests.support.deployments import (
    ABORT,
    COMPLETE,
    PUBLISH_TO,
    ROLLBACK_TO,
    deploy,
    draft,
    end,
    history,
    live,
    make_environment,
    published,
    read,
    release_state,
    renamed,
    set_percent,
    start,
)


async def _candidate_in_staging(api: GraphQLClient) -> dict[str, Any]:
    """Production serves version 1 ("v1"); version 2 ("v2") was tested in staging."""
    await make_environment(api.principal.workspace_id, "staging")
    persona = await draft(api, name="v1")
    await published(api, persona)
    persona = await renamed(api, persona, "v2")
    await published(api, persona, "staging")
    return persona


async def _rollout(database: MongoDatabase, persona_id: str) -> Rollout:
    found = await database["deployments"].find_one(
        {"persona_id": object_id(persona_id), "environment": "production"}
    )
    assert found is not None
    assert found["rollout"] is not None
    return Rollout.model_validate(found["rollout"])


async def test_a_rollout_starts_widens_and_completes(api: GraphQLClient) -> None:
    persona = await _candidate_in_staging(api)

    started = await start(api, persona["id"], 2, 10, note="careful")
    widened = await set_percent(api, persona["id"], 30)
    completed = await end(api, COMPLETE, persona["id"])

    assert started["userErrors"] == widened["userErrors"] == completed["userErrors"] == []
    rollout = started["deployment"]["rollout"]
    assert (rollout["percent"], rollout["note"]) == (10, "careful")
    assert rollout["startedBy"] == api.principal.name
    assert rollout["candidate"]["version"] == 2
    assert rollout["candidate"]["snapshot"]["name"] == "v2"
    assert started["deployment"]["version"]["version"] == 1
    assert started["persona"]["production"]["version"] == 1
    assert widened["deployment"]["rollout"]["percent"] == 30
    assert widened["deployment"]["rollout"]["startedAt"] == rollout["startedAt"]
    done = completed["deployment"]
    assert done["rollout"] is None
    assert done["version"]["version"] == 2
    assert done["replaced"] == {"version": 1}
    assert done["note"] == "careful"
    assert completed["persona"]["production"]["version"] == 2
    found = await read(api, persona["id"], "production")
    assert found["production"] == found["deployment"]["version"]
    changes = await history(api, persona["id"], "production")
    assert [c["kind"] for c in changes] == [
        "ROLLOUT_COMPLETED",
        "ROLLOUT_CHANGED",
        "ROLLOUT_STARTED",
        "PUBLISHED",
    ]
    assert changes[1]["deployment"]["rollout"] == {"percent": 30, "candidate": {"version": 2}}
    assert (changes[0]["version"], changes[0]["replaced"]) == ({"version": 2}, {"version": 1})


async def test_an_aborted_rollout_puts_everyone_back(api: GraphQLClient) -> None:
    persona = await _candidate_in_staging(api)
    await start(api, persona["id"], 2, 50)

    aborted = await end(api, ABORT, persona["id"])

    assert aborted["userErrors"] == []
    assert aborted["deployment"]["rollout"] is None
    assert aborted["deployment"]["version"]["version"] == 1
    assert aborted["persona"]["production"]["version"] == 1
    assert {(await live(api, persona["id"], f"c{n}") or {})["version"] for n in range(20)} == {1}
    assert (await history(api, persona["id"]))[0]["kind"] == "ROLLOUT_ABORTED"


async def test_conflicts_change_nothing(api: GraphQLClient, database: MongoDatabase) -> None:
    persona = await _candidate_in_staging(api)
    await make_environment(api.principal.workspace_id, "qa")
    pid = persona["id"]
    idle = [
        await set_percent(api, pid, 20),
        await end(api, COMPLETE, pid),
        await end(api, ABORT, pid),
        await start(api, pid, 2, 10, environment="qa"),  # nothing deployed there
    ]
    served = await start(api, pid, 1, 10)
    assert [errors_of(p) for p in idle] == [[("CONFLICT", ["environment"])]] * 4
    assert errors_of(served) == [("CONFLICT", ["version"])]

    assert (await start(api, pid, 2, 10))["userErrors"] == []
    before = await release_state(database)
    running = [
        await start(api, pid, 2, 20),
        await deploy(api, pid, 2, "production"),
        await mutate(api, PUBLISH_TO, personaId=pid, expectedRevision=persona["revision"]),
    ]
    for payload in running:
        assert errors_of(payload) == [("CONFLICT", ["environment"])]
    assert await release_state(database) == before


async def test_a_percent_outside_0_to_100_is_invalid(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await _candidate_in_staging(api)
    before = await release_state(database)
    for percent in (-1, 101):
        assert errors_of(await start(api, persona["id"], 2, percent)) == [("INVALID", ["percent"])]
    assert await release_state(database) == before

    await start(api, persona["id"], 2, 0)
    before = await release_state(database)
    for percent in (-5, 1000):
        refused = await set_percent(api, persona["id"], percent)
        assert errors_of(refused) == [("INVALID", ["percent"])]
    assert await release_state(database) == before


async def test_a_missing_candidate_is_not_found(api: GraphQLClient) -> None:
    persona = await _candidate_in_staging(api)
    assert errors_of(await start(api, persona["id"], 3, 10)) == [("NOT_FOUND", ["version"])]


async def test_rolling_back_ends_a_running_rollout(api: GraphQLClient) -> None:
    persona = await _candidate_in_staging(api)
    await start(api, persona["id"], 2, 50)

    payload = await mutate(api, ROLLBACK_TO, personaId=persona["id"], version=1)

    assert payload["userErrors"] == []
    found = await read(api, persona["id"], "production")
    assert found["deployment"]["rollout"] is None
    assert found["deployment"]["version"]["version"] == 3


async def test_each_contact_is_served_its_arm_every_time(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await _candidate_in_staging(api)
    await start(api, persona["id"], 2, 50)
    rollout = await _rollout(database, persona["id"])
    contacts = [f"caller-{n}" for n in range(200)]

    seen: dict[str, set[str]] = {"BASELINE": set(), "CANDIDATE": set()}
    for batch in range(0, len(contacts), 20):
        chunk = contacts[batch : batch + 20]
        for _ in range(2):
            answers = await asyncio.gather(*(live(api, persona["id"], c) for c in chunk))
            for contact, answer in zip(chunk, answers, strict=True):
                assert answer is not None
                arm = answer["rolloutArm"]
                assert arm == arm_for(rollout, contact).value, contact
                assert (answer["version"], answer["name"]) == (
                    (2, "v2") if arm == "CANDIDATE" else (1, "v1")
                )
                assert answer["environment"] == "production"
                seen[arm].add(answer["resolutionId"])
    # One resolution per arm: the call records of each arm tell them apart.
    assert len(seen["BASELINE"]) == len(seen["CANDIDATE"]) == 1
    assert seen["BASELINE"] != seen["CANDIDATE"]


async def test_without_a_contact_calls_are_spread_over_both_arms(api: GraphQLClient) -> None:
    persona = await _candidate_in_staging(api)
    await start(api, persona["id"], 2, 50)
    answers = await asyncio.gather(*(live(api, persona["id"]) for _ in range(60)))
    assert {(a or {})["rolloutArm"] for a in answers} == {"BASELINE", "CANDIDATE"}


@pytest.fixture
async def served(app: Starlette, client_for: ClientFactory) -> AsyncIterator[GraphQLClient]:
    """A client of the app with its lifespan running: call starts are served from memory."""
    async with app.router.lifespan_context(app):
        yield await client_for()


async def _arms(client: GraphQLClient, persona_id: str) -> list[tuple[str, int]]:
    answers = await asyncio.gather(*(live(client, persona_id, f"c{n}") for n in range(40)))
    return [((a or {})["rolloutArm"], (a or {})["version"]) for a in answers]


async def test_a_rollout_step_is_served_at_once_by_the_process_that_made_it(
    served: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await _candidate_in_staging(served)
    pid = persona["id"]
    assert set(await _arms(served, pid)) == {("BASELINE", 1)}  # now held in memory

    await start(served, pid, 2, 0)
    assert set(await _arms(served, pid)) == {("BASELINE", 1)}
    await set_percent(served, pid, 100)
    assert set(await _arms(served, pid)) == {("CANDIDATE", 2)}
    await set_percent(served, pid, 50)
    rollout = await _rollout(database, pid)
    expected = [arm_for(rollout, f"c{n}").value for n in range(40)]
    assert [arm for arm, _ in await _arms(served, pid)] == expected
    await end(served, ABORT, pid)
    assert set(await _arms(served, pid)) == {("BASELINE", 1)}
    await start(served, pid, 2, 10)
    await end(served, COMPLETE, pid)
    assert set(await _arms(served, pid)) == {("BASELINE", 2)}
    await deploy(served, pid, 1, "production")
    assert set(await _arms(served, pid)) == {("BASELINE", 1)}

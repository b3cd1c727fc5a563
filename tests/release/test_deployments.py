"""Deployments: concurrent changes never interleave, roles, workspaces, and what a page costs."""

import asyncio
import itertools
from typing import Any

import pytest

from app.access.principal import Role
from app.platform.database import MongoDatabase
from tests.conftest import ClientFactory, CommandLog
from tests.support.client import GraphQLClient, errors_of, object_id
from tests.support.deployments import (
    ABORT,
    COMPLETE,
    DEPLOY,
    SET_PERCENT,
    START,
    deploy,
    draft,
    make_environment,
    published,
    read,
    release_state,
    renamed,
    set_percent,
    start,
    versions,
)


async def _chain(database: MongoDatabase, persona_id: str, environment: str) -> list[Any]:
    """The environment's changes in the order they landed: each must replace the one before."""
    changes = (
        await database["deployment_changes"]
        .find({"persona_id": object_id(persona_id), "environment": environment})
        .to_list()
    )
    return sorted(changes, key=lambda change: change["deployment"]["serial"])


async def test_concurrent_deploys_of_one_environment_never_interleave(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    await make_environment(api.principal.workspace_id, "staging")
    persona = await versions(api, 6)

    payloads = await asyncio.gather(
        *(deploy(api, persona["id"], n, "staging") for n in (1, 2, 3, 4, 5, 6, 1, 2, 3))
    )

    won = [p for p in payloads if not p["userErrors"]]
    for payload in payloads:
        assert errors_of(payload) in ([], [("CONFLICT", ["environment"])])
        assert (payload["deployment"] is None) == bool(payload["userErrors"])
    assert won
    chain = await _chain(database, persona["id"], "staging")
    assert [change["deployment"]["serial"] for change in chain] == list(range(1, len(chain) + 1))
    assert chain[0]["replaced"] is None
    for before, after in itertools.pairwise(chain):
        assert after["replaced"]["serial"] == before["deployment"]["serial"]
        assert after["replaced"]["version"] == before["deployment"]["version"]
        assert after["deployment"]["replaced"] == before["deployment"]["version"]
    # A winner whose version was already served changed nothing, and wrote no change.
    assert len(chain) <= len(won)
    landed = {change["deployment"]["version"] for change in chain}
    assert {payload["deployment"]["version"]["version"] for payload in won} <= landed
    stored = await database["deployments"].find_one(
        {"persona_id": object_id(persona["id"]), "environment": "staging"}
    )
    assert stored is not None
    assert stored["serial"] == len(chain)
    assert stored["version"] == chain[-1]["deployment"]["version"]


async def test_concurrent_rollout_steps_never_interleave(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await versions(api, 2)
    await deploy(api, persona["id"], 1, "production")
    await start(api, persona["id"], 2, 5)

    steps = await asyncio.gather(
        *(set_percent(api, persona["id"], p) for p in (10, 20, 30, 40, 50, 60))
    )

    for payload in steps:
        assert errors_of(payload) in ([], [("CONFLICT", ["environment"])])
    chain = await _chain(database, persona["id"], "production")
    for before, after in itertools.pairwise(chain):
        assert after["replaced"]["serial"] == before["deployment"]["serial"]
    stepped = [c for c in chain if c["kind"] == "ROLLOUT_CHANGED"]
    assert len(stepped) == sum(1 for payload in steps if not payload["userErrors"])


ROLE_CASES = [
    (DEPLOY, {"version": 1}),
    (START, {"version": 2, "percent": 10}),
    (SET_PERCENT, {"percent": 20}),
    (COMPLETE, {}),
    (ABORT, {}),
]


async def _rollout_ready(api: GraphQLClient) -> dict[str, Any]:
    """Production serves version 1 of 2; version 2 can be rolled out."""
    persona = await versions(api, 2)
    await deploy(api, persona["id"], 1, "production")
    return persona


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR], ids=str)
async def test_below_publisher_deploys_and_rollouts_are_forbidden(
    client_for: ClientFactory, database: MongoDatabase, role: Role
) -> None:
    admin = await client_for(Role.ADMIN)
    persona = await _rollout_ready(admin)
    await start(admin, persona["id"], 2, 10)
    refused = await client_for(role)
    before = await release_state(database)

    for mutation, input in ROLE_CASES:
        body = await refused.data(
            mutation, input={"personaId": persona["id"], "environment": "production", **input}
        )
        (payload,) = body.values()
        assert errors_of(payload) == [("FORBIDDEN", None)]
        assert payload["deployment"] is None
    assert await release_state(database) == before
    # Reading what is deployed is every reader's.
    assert (await read(refused, persona["id"], "production"))["deployment"]["rollout"]


async def test_a_publisher_deploys_and_runs_rollouts(client_for: ClientFactory) -> None:
    admin = await client_for(Role.ADMIN)
    persona = await versions(admin, 2)
    publisher = await client_for(Role.PUBLISHER)

    for mutation, input in ROLE_CASES[:3] + ROLE_CASES[4:] + [ROLE_CASES[1], ROLE_CASES[3]]:
        body = await publisher.data(
            mutation, input={"personaId": persona["id"], "environment": "production", **input}
        )
        (payload,) = body.values()
        assert payload["userErrors"] == [], (mutation, payload)
    found = await read(admin, persona["id"], "production")
    assert found["deployment"]["version"]["version"] == 2
    assert found["deployment"]["deployedBy"] == publisher.principal.name


@pytest.mark.parametrize(("mutation", "input"), ROLE_CASES)
async def test_a_runtime_key_is_refused_at_the_door(
    client_for: ClientFactory, mutation: str, input: dict[str, Any]
) -> None:
    admin = await client_for(Role.ADMIN)
    persona = await versions(admin, 1)
    runtime = await client_for(Role.RUNTIME)

    body = await runtime.execute(
        mutation, input={"personaId": persona["id"], "environment": "production", **input}
    )

    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN"}


async def test_another_workspace_cannot_see_or_change_deployments(
    client_for: ClientFactory, database: MongoDatabase
) -> None:
    owner = await client_for(Role.ADMIN, "acme")
    stranger = await client_for(Role.ADMIN, "globex")
    persona = await _rollout_ready(owner)
    await start(owner, persona["id"], 2, 10)
    before = await release_state(database)

    for mutation, input in ROLE_CASES:
        body = await stranger.data(
            mutation, input={"personaId": persona["id"], "environment": "production", **input}
        )
        (payload,) = body.values()
        assert errors_of(payload) == [("NOT_FOUND", ["personaId"])]
    assert await release_state(database) == before
    seen = await stranger.data(
        'query($id: ID!) { persona(id: $id) { deployment(environment: "production") '
        "{ environment } } }",
        id=persona["id"],
    )
    assert seen == {"persona": None}


async def test_deployments_list_production_first_and_unknown_ones_are_null(
    api: GraphQLClient,
) -> None:
    for name in ("staging", "demo"):
        await make_environment(api.principal.workspace_id, name)
    persona = await draft(api)
    await published(api, persona, "staging")
    await published(api, persona, "demo")
    await published(api, persona)

    found = await read(api, persona["id"], "nowhere")

    assert [d["environment"] for d in found["deployments"]] == ["production", "demo", "staging"]
    assert found["deployment"] is None
    assert found["production"] == found["deployments"][0]["version"]


PAGE = """
query($first: Int) {
  personas(first: $first) {
    edges { node {
      id production { version }
      deployments { environment version { version environment } replaced { version }
                    rollout { percent candidate { version } } }
      staging: deployment(environment: "staging") { version { version } }
    } }
  }
}
"""


def _commands(command_log: CommandLog) -> list[str]:
    return [name for name, collection in command_log.targets if collection != "api_keys"]


async def test_a_page_of_deployments_costs_the_same_commands_whatever_its_size(
    api: GraphQLClient, command_log: CommandLog
) -> None:
    await make_environment(api.principal.workspace_id, "staging")
    for n in range(12):
        persona = await draft(api, name=f"p{n}")
        await published(api, persona, "staging")
        await published(api, persona := await renamed(api, persona, f"p{n}b"), "staging")
        await published(api, persona)
        if n % 3 == 2:  # the newest among them
            await start(api, persona["id"], 1, 20)

    command_log.targets.clear()
    small = (await api.data(PAGE, first=2))["personas"]["edges"]
    small_commands = _commands(command_log)
    command_log.targets.clear()
    large = (await api.data(PAGE, first=12))["personas"]["edges"]
    large_commands = _commands(command_log)

    assert len(small) == 2
    assert len(large) == 12
    assert large_commands == small_commands, large_commands
    for edge in large:
        node = edge["node"]
        production, staging = node["deployments"]
        assert production["version"] == {"version": 3, "environment": "production"}
        assert node["production"] == {"version": 3}
        assert staging["version"]["version"] == node["staging"]["version"]["version"] == 2
        assert staging["replaced"] == {"version": 1}
    rolling = [e for e in large if e["node"]["deployments"][0]["rollout"] is not None]
    assert len(rolling) == 4
    assert {e["node"]["deployments"][0]["rollout"]["candidate"]["version"] for e in rolling} == {1}

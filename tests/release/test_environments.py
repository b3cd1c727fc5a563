"""Environments over GraphQL: production always there, ADMIN's changes, refusals that change
nothing, revisions under races, and deleting an environment with its deployments."""

import asyncio
import json
from typing import Any

import pytest

from app.access.principal import Role
from app.platform.database import MongoDatabase
from app.release.environment_admin import MAX_ENVIRONMENTS
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient, errors_of
from tests.support.environments import (
    CREATE_ENVIRONMENT,
    DELETE_ENVIRONMENT,
    ENVIRONMENTS,
    SET_ENVIRONMENT_VARIABLES,
    create_environment,
    delete_environment,
    deploy_directly,
    deployments_into,
    environments,
    kept,
    names,
    set_environment_variables,
)

EPOCH = "1970-01-01T00:00:00+00:00"


def _environment(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["userErrors"] == [], payload["userErrors"]
    environment: dict[str, Any] = payload["environment"]
    return environment


async def test_production_is_always_there_and_others_follow_by_name(api: GraphQLClient) -> None:
    assert await environments(api) == [
        {"name": "production", "variables": {}, "revision": 1, "createdAt": EPOCH}
    ]
    staging = _environment(await create_environment(api, "staging", {"plan": "Pro", "seats": 2}))
    assert (staging["name"], staging["variables"], staging["revision"]) == (
        "staging",
        {"plan": "Pro", "seats": 2},
        1,
    )
    dev = _environment(await create_environment(api, "dev-1"))
    assert dev["variables"] == {}
    listed = await environments(api)
    assert [e["name"] for e in listed] == ["production", "dev-1", "staging"]
    assert listed[1:] == [dev, staging]


@pytest.mark.parametrize("name", ["Staging", "1st", "-qa", "qa_1", "", "q" * 33, "qa env"])
async def test_a_bad_name_is_invalid(
    api: GraphQLClient, database: MongoDatabase, name: str
) -> None:
    payload = await create_environment(api, name)
    assert payload["environment"] is None
    assert errors_of(payload) == [("INVALID", ["name"])]
    assert await kept(database) == {"environments": [], "deployments": []}


async def test_a_taken_name_is_a_duplicate_production_included(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    await create_environment(api, "staging", {"plan": "Pro"})
    before = await kept(database)
    for name in ("staging", "production"):
        payload = await create_environment(api, name, {"plan": "Other"})
        assert errors_of(payload) == [("DUPLICATE_NAME", ["name"])]
    assert await kept(database) == before


async def test_bad_variables_are_invalid_entry_by_entry(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    bad = {
        "Plan": "x",
        "fine": "x",
        "long": "x" * 2001,
        "nested": {"a": 1},
        "listed": [1],
        "environment": "qa",  # a built-in: never taken from an environment
        "nul": "a\x00b",
    }
    payload = await create_environment(api, "staging", bad)
    assert sorted(errors_of(payload)) == [
        ("INVALID", ["variables", name])
        for name in sorted(("Plan", "long", "nested", "listed", "environment", "nul"))
    ]
    for shape in ([{"plan": "x"}], "plan", 3):
        payload = await create_environment(api, "staging", shape)
        assert errors_of(payload) == [("INVALID", ["variables"])]
    too_many = {f"v{index}": index for index in range(65)}
    assert errors_of(await create_environment(api, "staging", too_many)) == [
        ("INVALID", ["variables"])
    ]
    assert errors_of(await set_environment_variables(api, "production", 1, bad))[0] == (
        "INVALID",
        ["variables", "Plan"],
    )
    assert await kept(database) == {"environments": [], "deployments": []}
    fine = {"plan": "x" * 2000, "seats": 2.5, "vip": True, "empty": None, "big": 2**53}
    assert _environment(await create_environment(api, "staging", fine))["variables"] == fine


async def test_numbers_must_be_finite_and_fit_in_64_bits(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    # JSON as Python's parser takes it: NaN and Infinity are no numbers a template can use.
    body = json.dumps({"query": CREATE_ENVIRONMENT, "variables": {"input": {"name": "staging"}}})
    values = '"variables": {"a": NaN, "b": -Infinity, "c": 18446744073709551616, "d": 1e308}'
    body = body.replace('"name": "staging"', f'"name": "staging", {values}')
    response = await api.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    payload = response.json()["data"]["createEnvironment"]
    assert errors_of(payload) == [("INVALID", ["variables", name]) for name in "abc"]
    assert await kept(database) == {"environments": [], "deployments": []}


async def test_a_workspace_holds_a_bounded_number_of_environments(api: GraphQLClient) -> None:
    for index in range(MAX_ENVIRONMENTS - 1):
        _environment(await create_environment(api, f"env-{index:02}"))
    payload = await create_environment(api, "one-more")
    assert errors_of(payload) == [("CONFLICT", ["name"])]
    assert "at most 20 environments" in payload["userErrors"][0]["message"]
    assert len(await names(api)) == MAX_ENVIRONMENTS
    assert (await delete_environment(api, "env-00"))["userErrors"] == []
    _environment(await create_environment(api, "one-more"))


async def test_racing_creates_never_pass_the_bound_or_share_a_name(api: GraphQLClient) -> None:
    for index in range(MAX_ENVIRONMENTS - 3):
        _environment(await create_environment(api, f"env-{index:02}"))
    racing = await asyncio.gather(
        *(create_environment(api, name) for name in ("one", "two", "three", "two"))
    )
    outcomes = sorted(
        errors_of(payload)[0][0] if payload["userErrors"] else "OK" for payload in racing
    )
    assert outcomes in (
        ["CONFLICT", "DUPLICATE_NAME", "OK", "OK"],
        ["CONFLICT", "CONFLICT", "OK", "OK"],
    )
    assert len(await names(api)) == MAX_ENVIRONMENTS


async def test_values_are_replaced_revision_by_revision(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    created = _environment(await create_environment(api, "staging", {"plan": "Pro", "seats": 2}))
    changed = _environment(await set_environment_variables(api, "staging", 1, {"plan": "Team"}))
    assert (changed["variables"], changed["revision"]) == ({"plan": "Team"}, 2)
    assert changed["createdAt"] == created["createdAt"]
    before = await kept(database)
    stale = await set_environment_variables(api, "staging", 1, {"plan": "Stale"})
    assert stale["environment"] is None
    assert errors_of(stale) == [("REVISION_MISMATCH", ["expectedRevision"])]
    assert "it is now 2" in stale["userErrors"][0]["message"]
    missing = await set_environment_variables(api, "qa", 1, {"plan": "Pro"})
    assert errors_of(missing) == [("NOT_FOUND", ["name"])]
    assert errors_of(await set_environment_variables(api, "Not A Name", 1, {})) == [
        ("NOT_FOUND", ["name"])
    ]
    assert await kept(database) == before
    assert (await environments(api))[1] == changed


async def test_production_gets_values_from_revision_one(api: GraphQLClient) -> None:
    first = _environment(await set_environment_variables(api, "production", 1, {"plan": "Live"}))
    assert first == {
        "name": "production",
        "variables": {"plan": "Live"},
        "revision": 2,
        "createdAt": EPOCH,
    }
    again = await set_environment_variables(api, "production", 1, {"plan": "Overwrite"})
    assert errors_of(again) == [("REVISION_MISMATCH", ["expectedRevision"])]
    second = _environment(await set_environment_variables(api, "production", 2, {}))
    assert (second["variables"], second["revision"]) == ({}, 3)
    assert await environments(api) == [second]


@pytest.mark.parametrize("name", ["staging", "production"])
async def test_of_racing_changes_at_one_revision_exactly_one_lands(
    api: GraphQLClient, name: str
) -> None:
    if name != "production":
        await create_environment(api, name)
    racing = await asyncio.gather(
        *(set_environment_variables(api, name, 1, {"plan": plan}) for plan in ("A", "B", "C"))
    )
    won = [payload for payload in racing if payload["environment"] is not None]
    lost = [errors_of(payload) for payload in racing if payload["environment"] is None]
    assert len(won) == 1
    assert lost == [[("REVISION_MISMATCH", ["expectedRevision"])]] * 2
    (listed,) = [e for e in await environments(api) if e["name"] == name]
    assert listed == won[0]["environment"]
    assert listed["revision"] == 2


async def test_deleting_removes_the_environment_and_its_deployments(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await api.create_persona()
    other = await api.create_persona(name="Other")
    await create_environment(api, "staging")
    await create_environment(api, "qa")
    for environment in ("staging", "qa", "production"):
        await deploy_directly(api, persona, environment)
    await deploy_directly(api, other, "staging")

    payload = await delete_environment(api, "staging")

    assert payload == {"deletedName": "staging", "userErrors": []}
    assert await names(api) == ["production", "qa"]
    assert await deployments_into(database, "staging") == 0
    assert await deployments_into(database, "qa") == 1
    assert await deployments_into(database, "production") == 1
    again = await delete_environment(api, "staging")
    assert again == {"deletedName": None, "userErrors": again["userErrors"]}
    assert errors_of(again) == [("NOT_FOUND", ["name"])]
    _environment(await create_environment(api, "staging"))  # the name is free again


async def test_production_cannot_be_deleted(api: GraphQLClient, database: MongoDatabase) -> None:
    persona = await api.create_persona()
    await set_environment_variables(api, "production", 1, {"plan": "Live"})
    await deploy_directly(api, persona, "production")
    before = await kept(database)
    payload = await delete_environment(api, "production")
    assert payload["deletedName"] is None
    assert errors_of(payload) == [("CONFLICT", ["name"])]
    assert await kept(database) == before


async def test_a_refused_deletion_leaves_the_deployments(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    # Deployments into an environment that is gone: the deletion finds no environment, and
    # the transaction that removed the deployments first is undone.
    persona = await api.create_persona()
    await deploy_directly(api, persona, "qa")
    payload = await delete_environment(api, "qa")
    assert errors_of(payload) == [("NOT_FOUND", ["name"])]
    assert await deployments_into(database, "qa") == 1


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR, Role.PUBLISHER])
async def test_only_admin_manages_and_every_reader_lists(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase, role: Role
) -> None:
    await create_environment(api, "staging", {"plan": "Pro"})
    reader = await client_for(role)
    assert await environments(reader) == await environments(api)
    before = await kept(database)
    refusals = [
        await create_environment(reader, "qa"),
        await set_environment_variables(reader, "staging", 1, {"plan": "Team"}),
        await set_environment_variables(reader, "production", 1, {"plan": "Team"}),
        await delete_environment(reader, "staging"),
    ]
    for payload in refusals:
        assert errors_of(payload) == [("FORBIDDEN", None)]
        assert "ADMIN" in payload["userErrors"][0]["message"]
    assert await kept(database) == before


async def test_a_runtime_key_is_refused_environments(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    await create_environment(api, "staging")
    runtime = await client_for(Role.RUNTIME)
    before = await kept(database)
    for query, variables in (
        (ENVIRONMENTS, {}),
        (CREATE_ENVIRONMENT, {"input": {"name": "qa"}}),
        (
            SET_ENVIRONMENT_VARIABLES,
            {"input": {"name": "staging", "expectedRevision": 1, "variables": {}}},
        ),
        (DELETE_ENVIRONMENT, {"input": {"name": "staging"}}),
    ):
        body = await runtime.execute(query, **variables)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await kept(database) == before


async def test_another_workspace_s_environments_are_not_found(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    other = await client_for(Role.ADMIN, workspace="globex")
    await create_environment(other, "staging", {"plan": "Theirs"})
    await set_environment_variables(other, "production", 1, {"plan": "Theirs"})
    before = await kept(database)
    assert await environments(api) == [
        {"name": "production", "variables": {}, "revision": 1, "createdAt": EPOCH}
    ]
    assert errors_of(await set_environment_variables(api, "staging", 1, {})) == [
        ("NOT_FOUND", ["name"])
    ]
    assert errors_of(await delete_environment(api, "staging")) == [("NOT_FOUND", ["name"])]
    assert await kept(database) == before
    mine = _environment(await create_environment(api, "staging", {"plan": "Mine"}))
    assert mine["variables"] == {"plan": "Mine"}
    assert [e["variables"] for e in await environments(other)] == [{"plan": "Theirs"}] * 2

"""Memory never crosses a workspace, and a persona's own memory space goes with the persona
while the workspace's shared space stays."""

from typing import Any

import pytest

from app.access.principal import Role
from app.platform.database import MongoDatabase
from tests.conftest import ClientFactory
from tests.support.client import DELETE, GraphQLClient
from tests.support.erasure import (
    CONTACT,
    OTHER_CONTACT,
    held,
    held_in,
    own_space,
    persona_in,
    remember,
    republished,
)
from tests.support.memory import forget, live_memory, memory_of


async def _remembered(runtime: GraphQLClient, persona: dict[str, Any]) -> dict[str, Any]:
    """What a call start with CONTACT gets, checked to agree with contactMemory."""
    body = await live_memory(runtime, persona, CONTACT)
    assert "errors" not in body, body
    memory: dict[str, Any] = body["data"]["liveConfiguration"]["contactMemory"]
    assert await memory_of(runtime, persona, CONTACT) == memory
    return memory


def _summaries(memory: dict[str, Any]) -> list[str]:
    return [conversation["summary"] for conversation in memory["conversations"]]


# ---- workspaces ----------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["PERSONA", "WORKSPACE"])
async def test_the_same_contact_in_two_workspaces_never_mixes(
    client_for: ClientFactory, database: MongoDatabase, scope: str
) -> None:
    acme, globex = await client_for(Role.ADMIN), await client_for(Role.ADMIN, workspace="globex")
    acme_runtime = await client_for(Role.RUNTIME)
    globex_runtime = await client_for(Role.RUNTIME, workspace="globex")
    ours = await persona_in(acme, "Front desk", scope)
    theirs = await persona_in(globex, "Front desk", scope)

    await remember(acme, ours, CONTACT, 2, first_name="Dana")
    untouched = await _remembered(globex_runtime, theirs)
    assert (untouched["facts"], untouched["conversations"]) == ({}, [])
    prompt = (await live_memory(globex_runtime, theirs, CONTACT))["data"]["liveConfiguration"]
    assert prompt["prompt"] == " Name: unknown."

    await remember(globex, theirs, CONTACT, 1, first_name="Robin")
    mine, yours = await _remembered(acme_runtime, ours), await _remembered(globex_runtime, theirs)
    assert (mine["facts"], len(mine["conversations"])) == ({"first_name": "Dana"}, 2)
    assert (yours["facts"], len(yours["conversations"])) == ({"first_name": "Robin"}, 1)
    # Neither workspace reaches the other's persona at all.
    assert await memory_of(acme_runtime, theirs, CONTACT) is None
    assert await memory_of(globex, ours, CONTACT) is None

    payload = await forget(acme, CONTACT)

    assert payload["userErrors"] == []
    receipt = payload["receipt"]
    assert (receipt["conversationsDeleted"], receipt["factsDeleted"]) == (2, 1)
    assert await held_in(database, acme.principal.workspace_id, CONTACT) == 0
    assert await held_in(database, globex.principal.workspace_id, CONTACT) == 2
    assert await _remembered(globex_runtime, theirs) == yours
    assert (await _remembered(acme_runtime, ours))["conversations"] == []


async def test_forgetting_in_a_shared_persona_leaves_another_workspace_shared_memory(
    client_for: ClientFactory, database: MongoDatabase
) -> None:
    acme, globex = await client_for(Role.ADMIN), await client_for(Role.ADMIN, workspace="globex")
    ours = await persona_in(acme, "Concierge", "WORKSPACE")
    theirs = await persona_in(globex, "Concierge", "WORKSPACE")
    await remember(acme, ours, CONTACT, 1, city="Lisbon")
    await remember(globex, theirs, CONTACT, 1, city="Porto")

    payload = await forget(acme, CONTACT, ours["id"])
    refused = await forget(acme, CONTACT, theirs["id"])

    assert payload["receipt"]["conversationsDeleted"] == 1
    assert [error["code"] for error in refused["userErrors"]] == ["NOT_FOUND"]
    assert await held_in(database, acme.principal.workspace_id, CONTACT) == 0
    assert await held_in(database, globex.principal.workspace_id, CONTACT) == 2
    assert (await memory_of(globex, theirs, CONTACT))["facts"] == {"city": "Porto"}


# ---- deleting a persona ---------------------------------------------------------------


async def _delete(api: GraphQLClient, persona: dict[str, Any]) -> None:
    payload = (await api.data(DELETE, input={"id": persona["id"]}))["deletePersona"]
    assert payload["userErrors"] == [], payload["userErrors"]


async def test_deleting_a_persona_drops_its_own_memory_space_and_only_that(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    sales = await persona_in(api, "Sales")
    support = await persona_in(api, "Support")
    await remember(api, sales, CONTACT, 2, first_name="Dana")
    await remember(api, sales, OTHER_CONTACT, 1, first_name="Sam")
    await remember(api, support, CONTACT, 1, plan="premium")

    await _delete(api, sales)

    assert await held(database, CONTACT) == {own_space(support): (1, ["plan"])}
    assert await held(database, OTHER_CONTACT) == {}
    assert (await _remembered(runtime, support))["facts"] == {"plan": "premium"}


async def test_deleting_a_persona_that_shares_the_workspace_memory_keeps_the_shared_space(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    concierge = await persona_in(api, "Concierge")
    await remember(api, concierge, CONTACT, 1, first_name="Dana")  # its own space, v1
    concierge = await republished(api, concierge, "WORKSPACE")
    await remember(api, concierge, CONTACT, 2, city="Lisbon")  # the shared space, v2
    host = await persona_in(api, "Host", "WORKSPACE")
    before = _summaries(await _remembered(runtime, host))
    assert len(before) == 2

    await _delete(api, concierge)

    assert await held(database, CONTACT) == {"workspace": (2, ["city"])}
    kept = await _remembered(runtime, host)
    assert (kept["facts"], _summaries(kept)) == ({"city": "Lisbon"}, before)

"""forgetContact: every conversation and fact of a contact gone, in the workspace or in one
persona's memory, answered by a receipt that keeps no content; refusals change nothing."""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId

from app.access.principal import Role
from app.platform.database import MongoDatabase
from graphql_schema import ids
from tests.conftest import ClientFactory
from tests.support.client import DELETE, GraphQLClient, errors_of
from tests.support.erasure import (
    CONTACT,
    OTHER_CONTACT,
    SUMMARY,
    as_text,
    held,
    memory_documents,
    own_space,
    persona_in,
    remember,
    republished,
    sha256,
)
from tests.support.memory import FORGET, forget, live_memory, memory_of
from tests.support.memory_policy import set_policy

EMPTY_PROMPT = " Name: unknown."
RECEIPT_KEYS = {
    "_id",
    "workspace_id",
    "seq",
    "contact_id_sha256",
    "persona_id",
    "conversations_deleted",
    "facts_deleted",
    "erased_at",
    "erased_by",
}


async def _three(api: GraphQLClient) -> dict[str, dict[str, Any]]:
    """Two personas with memories of their own and one sharing the workspace's, each
    remembering CONTACT; two of them remember OTHER_CONTACT too."""
    personas = {
        "sales": await persona_in(api, "Sales"),
        "support": await persona_in(api, "Support"),
        "shared": await persona_in(api, "Concierge", scope="WORKSPACE"),
    }
    await remember(api, personas["sales"], CONTACT, 2, first_name="Dana", plan="premium")
    await remember(api, personas["support"], CONTACT, 1, first_name="Dana")
    await remember(api, personas["shared"], CONTACT, 1, city="Lisbon", plan="basic", vip=True)
    await remember(api, personas["sales"], OTHER_CONTACT, 1, first_name="Sam")
    await remember(api, personas["shared"], OTHER_CONTACT, 1, city="Porto")
    return personas


def _counts(payload: dict[str, Any]) -> tuple[int, int]:
    receipt = payload["receipt"]
    return receipt["conversationsDeleted"], receipt["factsDeleted"]


def _empty(contact_id: str, scope: str = "PERSONA") -> dict[str, Any]:
    return {"contactId": contact_id, "scope": scope, "facts": {}, "conversations": []}


async def _call_start(runtime: GraphQLClient, persona: dict[str, Any]) -> dict[str, Any]:
    body = await live_memory(runtime, persona, CONTACT)
    assert "errors" not in body, body
    live: dict[str, Any] = body["data"]["liveConfiguration"]
    return live


# ---- the whole workspace -------------------------------------------------------------


async def test_forgetting_a_contact_erases_it_in_every_memory_space_of_the_workspace(
    api: GraphQLClient,
    client_for: ClientFactory,
    database: MongoDatabase,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="app")
    runtime = await client_for(Role.RUNTIME)
    personas = await _three(api)
    spaces = {name: own_space(persona) for name, persona in personas.items()}
    assert await held(database, CONTACT) == {
        spaces["sales"]: (2, ["first_name", "plan"]),
        spaces["support"]: (1, ["first_name"]),
        "workspace": (1, ["city", "plan", "vip"]),
    }
    others = await held(database, OTHER_CONTACT)
    before = datetime.now(UTC)

    payload = await forget(api, CONTACT)

    assert payload["userErrors"] == []
    receipt = payload["receipt"]
    assert {key: value for key, value in receipt.items() if key not in {"id", "erasedAt"}} == {
        "contactIdSha256": sha256(CONTACT),
        "personaId": None,
        "conversationsDeleted": 4,
        "factsDeleted": 6,
        "erasedBy": api.principal.name,
    }
    erased_at = datetime.fromisoformat(receipt["erasedAt"])
    assert before - timedelta(seconds=1) <= erased_at <= datetime.now(UTC)
    assert await held(database, CONTACT) == {}
    assert await held(database, OTHER_CONTACT) == others  # another contact: untouched

    for persona in personas.values():
        live = await _call_start(runtime, persona)
        scope = "WORKSPACE" if persona is personas["shared"] else "PERSONA"
        assert live["contactMemory"] == _empty(CONTACT, scope)
        assert live["prompt"] == EMPTY_PROMPT
        assert await memory_of(runtime, persona, CONTACT) == _empty(CONTACT, scope)
        assert await memory_of(api, persona, CONTACT) == _empty(CONTACT, scope)
    remembered = await memory_of(runtime, personas["sales"], OTHER_CONTACT)
    assert remembered["facts"] == {"first_name": "Sam"}

    # The receipt, as answered and as stored, keeps nothing of the contact but the hash.
    (stored,) = await database["erasure_receipts"].find({}).to_list()
    assert set(stored) == RECEIPT_KEYS
    assert stored["contact_id_sha256"] == sha256(CONTACT)
    # Nor does the log, in its messages or in the fields a JSON log line would carry.
    logged = caplog.text + "".join(str(vars(record)) for record in caplog.records)
    for text in (as_text(receipt), as_text(stored), logged):
        for secret in (CONTACT, CONTACT[1:], SUMMARY, "Dana", "Lisbon", "first_name", "city"):
            assert secret not in text


async def test_forgetting_a_contact_nobody_remembers_answers_an_empty_receipt(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    personas = await _three(api)
    others = await held(database, CONTACT)

    payload = await forget(api, "+15550000")
    also = await forget(api, "+15550000", personas["sales"]["id"])

    assert [payload["userErrors"], also["userErrors"]] == [[], []]
    assert [_counts(payload), _counts(also)] == [(0, 0), (0, 0)]
    assert await held(database, CONTACT) == others
    assert await database["erasure_receipts"].count_documents({}) == 2


# ---- one persona's memory ---------------------------------------------------------------


async def test_forgetting_in_one_persona_leaves_the_other_memory_spaces(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    personas = await _three(api)
    # A draft that would share the workspace's memory does not count: production does not.
    drafted = await set_policy(api, personas["support"], {"scope": "WORKSPACE"})
    assert drafted["userErrors"] == []

    sales = await forget(api, CONTACT, personas["sales"]["id"])
    support = await forget(api, CONTACT, personas["support"]["id"])

    assert [sales["userErrors"], support["userErrors"]] == [[], []]
    assert [sales["receipt"]["personaId"], support["receipt"]["personaId"]] == [
        personas["sales"]["id"],
        personas["support"]["id"],
    ]
    assert [_counts(sales), _counts(support)] == [(2, 2), (1, 1)]
    assert await held(database, CONTACT) == {"workspace": (1, ["city", "plan", "vip"])}
    assert (await _call_start(runtime, personas["sales"]))["contactMemory"] == _empty(CONTACT)
    shared = (await _call_start(runtime, personas["shared"]))["contactMemory"]
    assert shared["facts"] == {"city": "Lisbon", "plan": "basic", "vip": True}
    assert len(shared["conversations"]) == 1


async def test_forgetting_in_a_persona_sharing_the_workspace_memory_erases_both_its_spaces(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    sales = await persona_in(api, "Sales")
    concierge = await persona_in(api, "Concierge")
    await remember(api, concierge, CONTACT, 2, first_name="Dana")  # into its own space, v1
    concierge = await republished(api, concierge, "WORKSPACE")
    await remember(api, concierge, CONTACT, 1, city="Lisbon")  # into the shared space, v2
    host = await persona_in(api, "Host", scope="WORKSPACE")
    await remember(api, sales, CONTACT, 1, plan="premium")
    assert (await _call_start(runtime, host))["contactMemory"]["facts"] == {"city": "Lisbon"}

    payload = await forget(api, CONTACT, concierge["id"])

    assert payload["userErrors"] == []
    assert payload["receipt"]["personaId"] == concierge["id"]
    assert _counts(payload) == (3, 2)
    assert await held(database, CONTACT) == {own_space(sales): (1, ["plan"])}
    for persona in (concierge, host):
        assert (await _call_start(runtime, persona))["contactMemory"] == _empty(
            CONTACT, "WORKSPACE"
        )
    assert (await _call_start(runtime, sales))["contactMemory"]["facts"] == {"plan": "premium"}


async def test_a_persona_id_that_names_no_persona_here_is_not_found_and_erases_nothing(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    await _three(api)
    elsewhere = await client_for(Role.ADMIN, workspace="globex")
    foreign = await persona_in(elsewhere, "Foreign")
    await remember(elsewhere, foreign, CONTACT, 1, first_name="Dana")
    doomed = await persona_in(api, "Doomed")
    deleted = (await api.data(DELETE, input={"id": doomed["id"]}))["deletePersona"]
    assert deleted["userErrors"] == []
    before = await memory_documents(database)

    unknown_ids = [
        foreign["id"],  # another workspace's
        doomed["id"],  # deleted
        ids.encode("Persona", str(ObjectId())),  # never was
        ids.encode("Tool", str(ObjectId())),  # not a persona's
        "not-an-id",
        "",
    ]
    for persona_id in unknown_ids:
        payload = await forget(api, CONTACT, persona_id)
        assert errors_of(payload) == [("NOT_FOUND", ["personaId"])], persona_id
        assert payload["receipt"] is None
        assert CONTACT not in as_text(payload)

    assert await memory_documents(database) == before
    assert len(before["conversations"]) == 7  # what was there is there still


@pytest.mark.parametrize("persona", [False, True])
async def test_a_contact_id_out_of_bounds_is_refused_at_contact_id(
    api: GraphQLClient, database: MongoDatabase, persona: bool
) -> None:
    sales = await persona_in(api, "Sales")
    longest = "x" * 256
    await remember(api, sales, longest, 1, first_name="Dana")
    await remember(api, sales, CONTACT, 1, first_name="Dana")
    persona_id = sales["id"] if persona else None
    before = await memory_documents(database)

    for contact_id in ("", "x" * 257):
        payload = await forget(api, contact_id, persona_id)
        assert errors_of(payload) == [("INVALID", ["contactId"])]
        assert payload["receipt"] is None
        assert "xxx" not in payload["userErrors"][0]["message"]
    assert await memory_documents(database) == before

    accepted = await forget(api, longest, persona_id)
    assert accepted["userErrors"] == []
    assert accepted["receipt"]["conversationsDeleted"] == 1
    assert list(await held(database, CONTACT)) == [own_space(sales)]


# ---- who may erase -----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR, Role.PUBLISHER])
async def test_only_an_admin_may_forget_a_contact(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase, role: Role
) -> None:
    personas = await _three(api)
    caller = await client_for(role)
    before = await memory_documents(database)

    for persona_id in (None, personas["sales"]["id"]):
        payload = await forget(caller, CONTACT, persona_id)
        assert errors_of(payload) == [("FORBIDDEN", None)]
        assert payload["receipt"] is None

    assert await memory_documents(database) == before


async def test_a_runtime_key_is_turned_away_from_forget_contact_at_the_door(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    personas = await _three(api)
    runtime = await client_for(Role.RUNTIME)
    before = await memory_documents(database)

    body = await runtime.execute(FORGET, input={"contactId": CONTACT})
    one = await runtime.execute(
        FORGET, input={"contactId": CONTACT, "personaId": personas["sales"]["id"]}
    )

    for refused in (body, one):
        assert refused["data"] is None, refused
        (error,) = refused["errors"]
        assert error["extensions"] == {"code": "FORBIDDEN"}
        assert "forgetContact" in error["message"]
    assert await memory_documents(database) == before

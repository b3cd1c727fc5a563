"""Workspaces: another workspace's persona or key is indistinguishable from a missing one."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from beanie import PydanticObjectId
from strawberry.types import ExecutionResult

from app.access.principal import Role
from app.personas.documents import PersonaVersion
from app.platform.database import MongoDatabase
from app.release.events import EventHub
from graphql_schema import ids
from graphql_schema.context import Context
from graphql_schema.schema import schema
from tests.conftest import ClientFactory
from tests.support.client import (
    API_KEYS,
    DELETE,
    DISCARD,
    PUBLISH,
    READ,
    REMOVE_VOICE,
    RESTORE,
    REVOKE_KEY,
    ROLLBACK,
    SET_CHAT,
    SET_VOICE,
    UPDATE,
    GraphQLClient,
    persona_with_history,
    voice_input,
)

PERSONA_COLLECTIONS = ("personas", "persona_versions")

NODE = "query($id: ID!) { node(id: $id) { id ... on Persona { revision draft { name } } } }"
LIVE = """
query($id: ID!, $channel: Channel!) {
  liveConfiguration(personaId: $id, channel: $channel, locale: "en-US") {
    personaId version name voice { locale } chat { prompt }
  }
}
"""
PERSONAS = """
query($search: String, $status: PersonaStatus) {
  personas(first: 100, search: $search, status: $status) {
    totalCount edges { node { id draft { name } } }
  }
}
"""

SUBSCRIPTION = """
subscription($personaId: ID) {
  personaPublished(personaId: $personaId) {
    eventId persona { id draft { name } } version { version }
  }
}
"""


@dataclass
class Tenants:
    acme: GraphQLClient
    globex: GraphQLClient
    acme_persona: dict[str, Any]  # published twice, with an unpublished draft edit
    globex_persona: dict[str, Any]  # never published


def _unknown_persona_id() -> str:
    return ids.persona_id(PydanticObjectId())


async def _state(database: MongoDatabase) -> dict[str, list[dict[str, Any]]]:
    return {
        name: await database[name].find().sort("_id", 1).to_list()
        for name in (*PERSONA_COLLECTIONS, "api_keys")
    }


@pytest.fixture
async def tenants(client_for: ClientFactory) -> Tenants:
    acme = await client_for(Role.ADMIN, "acme")
    globex = await client_for(Role.ADMIN, "globex")
    persona = await persona_with_history(acme, "Acme Sales")
    own = await globex.create_persona(name="Globex Sales", voiceConfigurations=[voice_input()])
    return Tenants(acme, globex, persona, own)


# ---- queries -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (READ, {}),
        (NODE, {}),
        (LIVE, {"channel": "VOICE"}),
        (LIVE, {"channel": "CHAT"}),
    ],
    ids=["persona", "node", "liveConfiguration-voice", "liveConfiguration-chat"],
)
async def test_a_foreign_persona_reads_like_an_unknown_one(
    tenants: Tenants, query: str, variables: dict[str, Any]
) -> None:
    foreign = tenants.acme_persona["id"]

    seen = await tenants.globex.execute(query, id=foreign, **variables)
    unknown = await tenants.globex.execute(query, id=_unknown_persona_id(), **variables)

    assert seen == unknown
    assert list(seen["data"].values()) == [None]
    owner_view = await tenants.acme.execute(query, id=foreign, **variables)
    assert list(owner_view["data"].values()) != [None]  # the persona is there, for its owner


@pytest.mark.parametrize(
    ("search", "status"),
    [(None, None), ("Sales", None), ("Acme", None), (None, "CHANGED"), (None, "DRAFT")],
)
async def test_personas_lists_only_the_callers_workspace(
    tenants: Tenants, search: str | None, status: str | None
) -> None:
    def names(data: dict[str, Any]) -> list[str]:
        return [edge["node"]["draft"]["name"] for edge in data["personas"]["edges"]]

    globex = await tenants.globex.data(PERSONAS, search=search, status=status)
    acme = await tenants.acme.data(PERSONAS, search=search, status=status)

    globex_expected = ["Globex Sales"] if search != "Acme" and status != "CHANGED" else []
    acme_expected = ["Acme Sales v2"] if status != "DRAFT" else []
    assert names(globex) == globex_expected
    assert globex["personas"]["totalCount"] == len(globex_expected)
    assert names(acme) == acme_expected
    assert acme["personas"]["totalCount"] == len(acme_expected)


# ---- mutations -----------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    field: str
    document: str
    input: Callable[[str, int], dict[str, Any]]  # (persona id, its revision)


MUTATIONS = [
    Mutation("updatePersona", UPDATE, lambda i, r: {"id": i, "expectedRevision": r, "name": "X"}),
    Mutation(
        "setVoiceConfiguration",
        SET_VOICE,
        lambda i, r: {
            "personaId": i,
            "expectedRevision": r,
            "configuration": voice_input(locale="en-GB"),
        },
    ),
    Mutation(
        "removeVoiceConfiguration",
        REMOVE_VOICE,
        lambda i, r: {"personaId": i, "expectedRevision": r, "locale": "en-US"},
    ),
    Mutation(
        "setChatConfiguration",
        SET_CHAT,
        lambda i, r: {"personaId": i, "expectedRevision": r, "configuration": None},
    ),
    Mutation("deletePersona", DELETE, lambda i, r: {"id": i}),
    Mutation(
        "publishPersona", PUBLISH, lambda i, r: {"personaId": i, "expectedRevision": r, "note": "x"}
    ),
    Mutation("discardDraft", DISCARD, lambda i, r: {"personaId": i, "expectedRevision": r}),
    Mutation(
        "restorePersonaVersion",
        RESTORE,
        lambda i, r: {"personaId": i, "expectedRevision": r, "version": 1},
    ),
    Mutation("rollbackPersona", ROLLBACK, lambda i, r: {"personaId": i, "version": 1}),
]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.field)
async def test_a_foreign_persona_cannot_be_changed_and_looks_unknown(
    tenants: Tenants, database: MongoDatabase, mutation: Mutation
) -> None:
    foreign = tenants.acme_persona
    revision = foreign["revision"]
    before = await _state(database)

    seen = await tenants.globex.execute(
        mutation.document, input=mutation.input(foreign["id"], revision)
    )
    after = await _state(database)
    unknown = await tenants.globex.execute(
        mutation.document, input=mutation.input(_unknown_persona_id(), revision)
    )

    assert seen == unknown
    assert "errors" not in seen
    errors = seen["data"][mutation.field]["userErrors"]
    assert [error["code"] for error in errors] == ["NOT_FOUND"]
    assert errors[0]["message"] == "Persona not found."
    assert after == before
    assert await tenants.acme.data(READ, id=foreign["id"]) == {"persona": foreign}
    # The same request succeeds for the owner: only the workspace stood in the way.
    owner = await tenants.acme.execute(
        mutation.document, input=mutation.input(foreign["id"], revision)
    )
    assert owner["data"][mutation.field]["userErrors"] == []


# ---- keys ----------------------------------------------------------------------


async def test_a_foreign_key_cannot_be_revoked_and_looks_unknown(
    tenants: Tenants, database: MongoDatabase
) -> None:
    acme_keys = (await tenants.acme.data(API_KEYS))["apiKeys"]
    before = await _state(database)

    seen = await tenants.globex.execute(REVOKE_KEY, input={"id": acme_keys[0]["id"]})
    unknown_id = ids.encode("ApiKey", str(PydanticObjectId()))
    unknown = await tenants.globex.execute(REVOKE_KEY, input={"id": unknown_id})

    assert seen == unknown
    assert seen["data"]["revokeApiKey"] == {
        "apiKey": None,
        "userErrors": [{"field": ["id"], "message": "API key not found.", "code": "NOT_FOUND"}],
    }
    assert await _state(database) == before
    assert (await tenants.acme.data(API_KEYS))["apiKeys"] == acme_keys
    assert acme_keys[0]["revokedAt"] is None


async def test_api_keys_lists_only_the_callers_workspace(
    tenants: Tenants, client_for: ClientFactory
) -> None:
    await client_for(Role.VIEWER, "acme")
    await client_for(Role.EDITOR, "globex")

    acme = (await tenants.acme.data(API_KEYS))["apiKeys"]
    globex = (await tenants.globex.data(API_KEYS))["apiKeys"]

    assert [key["name"] for key in acme] == ["acme admin", "acme viewer"]
    assert [key["name"] for key in globex] == ["globex admin", "globex editor"]
    assert {key["id"] for key in acme}.isdisjoint(key["id"] for key in globex)
    assert tenants.acme.key.startswith(acme[0]["prefix"] + "_")
    assert tenants.globex.key.startswith(globex[0]["prefix"] + "_")


# ---- subscriptions -------------------------------------------------------------


@pytest.fixture
async def hub(database: MongoDatabase) -> AsyncIterator[EventHub]:
    hub = EventHub(PersonaVersion.get_pymongo_collection().database)
    await hub.start()
    yield hub
    await hub.stop()


def _context(client: GraphQLClient, hub: EventHub) -> Context:
    return Context(None, None, events=hub, principal=client.principal)


async def _first_result(client: GraphQLClient, hub: EventHub, persona_id: str) -> ExecutionResult:
    result = await schema.subscribe(
        SUBSCRIPTION, variable_values={"personaId": persona_id}, context_value=_context(client, hub)
    )
    if isinstance(result, ExecutionResult):
        return result
    return await asyncio.wait_for(anext(result), timeout=5)


async def test_a_foreign_persona_cannot_be_watched(tenants: Tenants, hub: EventHub) -> None:
    seen = await _first_result(tenants.globex, hub, tenants.acme_persona["id"])
    unknown = await _first_result(tenants.globex, hub, _unknown_persona_id())

    assert seen.errors is not None
    assert unknown.errors is not None
    assert [error.formatted for error in seen.errors] == [
        error.formatted for error in unknown.errors
    ]
    assert [error.message for error in seen.errors] == ["Persona not found."]
    assert seen.data == unknown.data
    assert hub.subscribers == set()


@asynccontextmanager
async def _listening(
    client: GraphQLClient, hub: EventHub
) -> AsyncIterator["asyncio.Future[ExecutionResult]"]:
    """The subscriber's first event, once it is registered with the hub."""
    stream = await schema.subscribe(SUBSCRIPTION, context_value=_context(client, hub))
    assert not isinstance(stream, ExecutionResult), stream.errors
    count = len(hub.subscribers)
    waiting = asyncio.ensure_future(anext(stream))
    try:
        async with asyncio.timeout(5):
            while len(hub.subscribers) == count and not waiting.done():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        yield waiting
    finally:
        waiting.cancel()
        await stream.aclose()


async def _publish(client: GraphQLClient, persona: dict[str, Any]) -> None:
    await client.ok(
        PUBLISH,
        "publishPersona",
        input={"personaId": persona["id"], "expectedRevision": persona["revision"]},
    )


async def test_an_unfiltered_subscriber_hears_only_its_workspace(
    tenants: Tenants, hub: EventHub
) -> None:
    acme_persona, globex_persona = tenants.acme_persona, tenants.globex_persona
    async with (
        _listening(tenants.globex, hub) as globex_next,
        _listening(tenants.acme, hub) as acme_next,
    ):
        await _publish(tenants.acme, acme_persona)
        acme_event = await asyncio.wait_for(acme_next, timeout=5)
        await _publish(tenants.globex, globex_persona)
        globex_event = await asyncio.wait_for(globex_next, timeout=5)

    assert hub.subscribers == set()
    assert acme_event.errors is None
    assert acme_event.data is not None
    assert acme_event.data["personaPublished"]["persona"] == {
        "id": acme_persona["id"],
        "draft": {"name": "Acme Sales v2"},
    }
    assert acme_event.data["personaPublished"]["version"] == {"version": 3}
    assert globex_event.errors is None
    assert globex_event.data is not None
    assert globex_event.data["personaPublished"]["persona"] == {
        "id": globex_persona["id"],
        "draft": {"name": "Globex Sales"},
    }
    assert globex_event.data["personaPublished"]["version"] == {"version": 1}

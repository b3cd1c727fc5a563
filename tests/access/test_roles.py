"""Roles: what VIEWER, EDITOR, PUBLISHER and ADMIN may do, and that a refusal changes nothing."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from app.access.principal import LADDER, Role
from app.platform.database import MongoDatabase
from tests.conftest import ClientFactory
from tests.support.client import (
    API_KEYS,
    CREATE,
    CREATE_KEY,
    DELETE,
    DISCARD,
    PUBLISH,
    REMOVE_VOICE,
    RESTORE,
    REVOKE_KEY,
    ROLLBACK,
    SET_CHAT,
    SET_VOICE,
    UPDATE,
    USER_ERRORS,
    VERSION_FIELDS,
    GraphQLClient,
    chat_input,
    persona_with_history,
    voice_input,
)

COLLECTIONS = ("personas", "persona_versions", "api_keys", "workspaces")

PERSONA_READS = """
query($id: ID!) {
  persona(id: $id) {
    id status revision draft { name memory } production { version publishedBy }
    versions(first: 10) { totalCount edges { cursor node { version publishedBy rollback } } }
    changes { path before after }
  }
  node(id: $id) { id ... on Persona { revision status } }
  personas(first: 10) { totalCount edges { node { id draft { name } } } }
  found: personas(search: "sales") { totalCount }
  changed: personas(status: CHANGED) { totalCount }
  voice: liveConfiguration(personaId: $id, channel: VOICE, locale: "en-US") {
    personaId version name voice { locale voice { key } model { key } }
  }
  chat: liveConfiguration(personaId: $id, channel: CHAT) { version chat { prompt model { key } } }
  voices(locale: "en-US") { id key }
  languageModels(channel: CHAT) { id key }
}
"""

ROLES = list(LADDER)  # RUNTIME, beside the ladder, is tests/access/test_runtime.py


@dataclass
class World:
    """A persona with two published versions and an unpublished draft edit, and a spare key."""

    persona_id: str
    revision: int
    spare_key_id: str


async def _state(database: MongoDatabase) -> dict[str, list[dict[str, Any]]]:
    return {name: await database[name].find().sort("_id", 1).to_list() for name in COLLECTIONS}


async def _world(admin: GraphQLClient) -> World:
    persona = await persona_with_history(admin, "Sales")
    spare = await admin.ok(CREATE_KEY, "createApiKey", input={"name": "spare", "role": "VIEWER"})
    return World(persona["id"], persona["revision"], spare["apiKey"]["id"])


@dataclass(frozen=True)
class Operation:
    field: str
    document: str
    needs: Role
    input: Callable[[World], dict[str, Any]]


OPERATIONS = [
    Operation("createPersona", CREATE, Role.EDITOR, lambda w: {"name": "Support"}),
    Operation(
        "updatePersona",
        UPDATE,
        Role.EDITOR,
        lambda w: {"id": w.persona_id, "expectedRevision": w.revision, "name": "Renamed"},
    ),
    Operation(
        "setVoiceConfiguration",
        SET_VOICE,
        Role.EDITOR,
        lambda w: {
            "personaId": w.persona_id,
            "expectedRevision": w.revision,
            "configuration": voice_input(locale="en-GB"),
        },
    ),
    Operation(
        "removeVoiceConfiguration",
        REMOVE_VOICE,
        Role.EDITOR,
        lambda w: {"personaId": w.persona_id, "expectedRevision": w.revision, "locale": "en-US"},
    ),
    Operation(
        "setChatConfiguration",
        SET_CHAT,
        Role.EDITOR,
        lambda w: {
            "personaId": w.persona_id,
            "expectedRevision": w.revision,
            "configuration": chat_input(prompt="Answer at length."),
        },
    ),
    Operation("deletePersona", DELETE, Role.EDITOR, lambda w: {"id": w.persona_id}),
    Operation(
        "publishPersona",
        PUBLISH,
        Role.PUBLISHER,
        lambda w: {"personaId": w.persona_id, "expectedRevision": w.revision, "note": "v3"},
    ),
    Operation(
        "discardDraft",
        DISCARD,
        Role.PUBLISHER,
        lambda w: {"personaId": w.persona_id, "expectedRevision": w.revision},
    ),
    Operation(
        "restorePersonaVersion",
        RESTORE,
        Role.PUBLISHER,
        lambda w: {"personaId": w.persona_id, "expectedRevision": w.revision, "version": 1},
    ),
    Operation(
        "rollbackPersona",
        ROLLBACK,
        Role.PUBLISHER,
        lambda w: {"personaId": w.persona_id, "version": 1, "note": "undo"},
    ),
    Operation(
        "createApiKey", CREATE_KEY, Role.ADMIN, lambda w: {"name": "ci", "role": "PUBLISHER"}
    ),
    Operation("revokeApiKey", REVOKE_KEY, Role.ADMIN, lambda w: {"id": w.spare_key_id}),
]


@pytest.mark.parametrize("role", ROLES, ids=str)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.field)
async def test_each_mutation_needs_its_role(
    client_for: ClientFactory, database: MongoDatabase, operation: Operation, role: Role
) -> None:
    admin = await client_for(Role.ADMIN)
    world = await _world(admin)
    caller = await client_for(role)
    await caller.data("{ voices { key } }")  # the key's first use is recorded before the snapshot
    before = await _state(database)

    body = await caller.execute(operation.document, input=operation.input(world))

    assert "errors" not in body, body["errors"]
    payload = body["data"][operation.field]
    after = await _state(database)
    allowed = ROLES.index(role) >= ROLES.index(operation.needs)
    if allowed:
        assert payload["userErrors"] == []
        assert after != before
    else:
        assert payload["userErrors"] == [
            {
                "field": None,
                "message": f"This needs the {operation.needs} role or higher.",
                "code": "FORBIDDEN",
            }
        ]
        assert after == before
        assert all(value is None for key, value in payload.items() if key != "userErrors")


@pytest.mark.parametrize("role", ROLES, ids=str)
async def test_every_role_may_read(client_for: ClientFactory, role: Role) -> None:
    admin = await client_for(Role.ADMIN)
    world = await _world(admin)
    caller = await client_for(role)

    seen = await caller.data(PERSONA_READS, id=world.persona_id)

    assert seen == await admin.data(PERSONA_READS, id=world.persona_id)
    persona = seen["persona"]
    assert persona["id"] == world.persona_id
    assert persona["status"] == "CHANGED"
    assert persona["draft"] == {"name": "Sales v2", "memory": True}
    assert persona["production"] == {"version": 2, "publishedBy": admin.principal.name}
    assert persona["versions"]["totalCount"] == 2
    assert [edge["node"]["version"] for edge in persona["versions"]["edges"]] == [2, 1]
    assert persona["changes"] == [{"path": "memory", "before": "false", "after": "true"}]
    assert seen["node"] == {"id": world.persona_id, "revision": world.revision, "status": "CHANGED"}
    assert seen["personas"]["totalCount"] == 1
    assert seen["personas"]["edges"] == [
        {"node": {"id": world.persona_id, "draft": {"name": "Sales v2"}}}
    ]
    assert seen["found"]["totalCount"] == 1
    assert seen["changed"]["totalCount"] == 1
    assert seen["voice"]["version"] == 2
    assert seen["voice"]["name"] == "Sales v2"
    assert seen["voice"]["voice"]["voice"] == {"key": "sara-en-us-f"}
    assert seen["chat"] == {
        "version": 2,
        "chat": {"prompt": "Answer briefly.", "model": {"key": "gpt-4.1"}},
    }
    assert "sara-en-us-f" in [voice["key"] for voice in seen["voices"]]
    assert "gpt-4.1" in [model["key"] for model in seen["languageModels"]]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR, Role.PUBLISHER], ids=str)
async def test_only_an_admin_may_list_keys(client_for: ClientFactory, role: Role) -> None:
    await client_for(Role.ADMIN)
    caller = await client_for(role)

    body = await caller.execute(API_KEYS)

    assert body["data"] is None
    assert [error["message"] for error in body["errors"]] == [
        "This needs the ADMIN role or higher."
    ]
    assert body["errors"][0]["path"] == ["apiKeys"]


async def test_an_admin_lists_every_key_of_the_workspace(client_for: ClientFactory) -> None:
    others = [await client_for(role) for role in (Role.VIEWER, Role.EDITOR, Role.PUBLISHER)]
    admin = await client_for(Role.ADMIN)

    keys = (await admin.data(API_KEYS))["apiKeys"]

    assert [(key["name"], key["role"]) for key in keys] == [
        ("acme viewer", "VIEWER"),
        ("acme editor", "EDITOR"),
        ("acme publisher", "PUBLISHER"),
        ("acme admin", "ADMIN"),
    ]
    for client, key in zip([*others, admin], keys, strict=True):
        assert client.key.startswith(key["prefix"] + "_")


PUBLISHED_BY = f"""
mutation($input: PublishPersonaInput!) {{
  publishPersona(input: $input) {{ version {{ {VERSION_FIELDS} }} {USER_ERRORS} }}
}}
"""
ROLLED_BACK_BY = f"""
mutation($input: RollbackPersonaInput!) {{
  rollbackPersona(input: $input) {{ version {{ {VERSION_FIELDS} }} {USER_ERRORS} }}
}}
"""
HISTORY = """
query($id: ID!) {
  persona(id: $id) {
    production { version publishedBy }
    versions { edges { node { version publishedBy } } }
  }
}
"""


async def test_published_by_is_the_name_of_the_publishing_key(
    api: GraphQLClient, client_for: ClientFactory
) -> None:
    publisher = await client_for(Role.PUBLISHER)
    issued = await api.ok(
        CREATE_KEY, "createApiKey", input={"name": "CI deploy", "role": "PUBLISHER"}
    )
    persona = await api.create_persona(voiceConfigurations=[voice_input()])

    first = await publisher.ok(
        PUBLISHED_BY,
        "publishPersona",
        input={"personaId": persona["id"], "expectedRevision": 1},
    )
    await api.ok(
        UPDATE,
        "updatePersona",
        input={"id": persona["id"], "expectedRevision": 1, "name": "B"},
    )
    response = await api.http.post(
        "/graphql",
        json={
            "query": PUBLISHED_BY,
            "variables": {"input": {"personaId": persona["id"], "expectedRevision": 2}},
        },
        headers={"Authorization": f"Bearer {issued['key']}"},
    )
    second = response.json()["data"]["publishPersona"]
    assert second["userErrors"] == []
    third = await api.ok(
        ROLLED_BACK_BY, "rollbackPersona", input={"personaId": persona["id"], "version": 1}
    )

    assert first["version"]["publishedBy"] == "acme publisher" == publisher.principal.name
    assert second["version"]["publishedBy"] == "CI deploy"
    assert third["version"]["publishedBy"] == "acme admin" == api.principal.name
    history = (await api.data(HISTORY, id=persona["id"]))["persona"]
    assert history["production"] == {"version": 3, "publishedBy": "acme admin"}
    assert [edge["node"] for edge in history["versions"]["edges"]] == [
        {"version": 3, "publishedBy": "acme admin"},
        {"version": 2, "publishedBy": "CI deploy"},
        {"version": 1, "publishedBy": "acme publisher"},
    ]

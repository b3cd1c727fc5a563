"""A small GraphQL-over-HTTP client and factories for the tests."""

import base64
import secrets
from typing import Any

import httpx
from bson import ObjectId

from app.access.principal import Principal
from app.platform.database import MongoDatabase

VOICE_EN = {
    "locale": "en-US",
    "prompt": "You are a friendly sales agent.",
    "voiceKey": "sara-en-us-f",
    "modelKey": "gpt-4o-mini",
    "firstMessage": "Hello! How can I help?",
}

USER_ERRORS = "userErrors { field message code }"

SNAPSHOT_FIELDS = """
  name memory
  voiceConfigurations {
    locale prompt firstSpeaker firstMessage temperature maxDurationSeconds
    silenceTimeoutSeconds recording voice { key } model { key }
  }
  chatConfiguration { prompt temperature maxTokens forwardToVoice model { key } }
"""

VERSION_FIELDS = f"version publishedAt publishedBy note rollback snapshot {{ {SNAPSHOT_FIELDS} }}"

PERSONA_FIELDS = f"""
  id status revision createdAt updatedAt
  draft {{ {SNAPSHOT_FIELDS} }}
  production {{ {VERSION_FIELDS} }}
  changes {{ path before after }}
"""


def _mutation(name: str, input_type: str, payload: str) -> str:
    return f"""
mutation($input: {input_type}!) {{
  {name}(input: $input) {{ {payload} {USER_ERRORS} }}
}}
"""


def _persona_mutation(name: str, input_type: str) -> str:
    return _mutation(name, input_type, f"persona {{ {PERSONA_FIELDS} }}")


def _publish_mutation(name: str, input_type: str) -> str:
    payload = f"persona {{ {PERSONA_FIELDS} }} version {{ {VERSION_FIELDS} }}"
    return _mutation(name, input_type, payload)


CREATE = _persona_mutation("createPersona", "CreatePersonaInput")
UPDATE = _persona_mutation("updatePersona", "UpdatePersonaInput")
SET_VOICE = _persona_mutation("setVoiceConfiguration", "SetVoiceConfigurationInput")
REMOVE_VOICE = _persona_mutation("removeVoiceConfiguration", "RemoveVoiceConfigurationInput")
SET_CHAT = _persona_mutation("setChatConfiguration", "SetChatConfigurationInput")
DISCARD = _persona_mutation("discardDraft", "DiscardDraftInput")
RESTORE = _persona_mutation("restorePersonaVersion", "RestorePersonaVersionInput")
PUBLISH = _publish_mutation("publishPersona", "PublishPersonaInput")
ROLLBACK = _publish_mutation("rollbackPersona", "RollbackPersonaInput")
DELETE = _mutation("deletePersona", "DeletePersonaInput", "deletedId")
READ = f"query($id: ID!) {{ persona(id: $id) {{ {PERSONA_FIELDS} }} }}"

KEY_FIELDS = "id name role prefix createdAt lastUsedAt revokedAt"
CREATE_KEY = _mutation("createApiKey", "CreateApiKeyInput", f"key apiKey {{ {KEY_FIELDS} }}")
REVOKE_KEY = _mutation("revokeApiKey", "RevokeApiKeyInput", f"apiKey {{ {KEY_FIELDS} }}")
API_KEYS = f"{{ apiKeys {{ {KEY_FIELDS} }} }}"


def random_key() -> str:
    """A key of the right shape that no workspace issued."""
    return f"pa_{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"


def voice_input(**overrides: Any) -> dict[str, Any]:
    return {**VOICE_EN, **overrides}


def chat_input(**overrides: Any) -> dict[str, Any]:
    return {"prompt": "Answer briefly.", "modelKey": "gpt-4.1", **overrides}


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient, principal: Principal, key: str) -> None:
        self.http = http
        self.principal = principal
        self.key = key

    async def execute(self, query: str, **variables: Any) -> dict[str, Any]:
        """The whole response body; asserts the transport succeeded."""
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a response that must have no GraphQL errors."""
        body = await self.execute(query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def create_persona(self, **input: Any) -> dict[str, Any]:
        payload = (await self.data(CREATE, input={"name": "Sales", **input}))["createPersona"]
        assert payload["userErrors"] == [], payload["userErrors"]
        persona: dict[str, Any] = payload["persona"]
        return persona

    async def ok(self, query: str, field: str, **variables: Any) -> dict[str, Any]:
        """The payload of a mutation that must succeed."""
        payload: dict[str, Any] = (await self.data(query, **variables))[field]
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload


async def persona_with_history(client: GraphQLClient, name: str) -> dict[str, Any]:
    """A persona published twice, with a draft edit on top: every operation can apply to it."""
    created = await client.create_persona(
        name=name, voiceConfigurations=[voice_input()], chatConfiguration=chat_input()
    )
    persona_id = created["id"]
    await client.ok(
        PUBLISH, "publishPersona", input={"personaId": persona_id, "expectedRevision": 1}
    )
    renamed = {"id": persona_id, "expectedRevision": 1, "name": f"{name} v2"}
    await client.ok(UPDATE, "updatePersona", input=renamed)
    await client.ok(
        PUBLISH, "publishPersona", input={"personaId": persona_id, "expectedRevision": 2}
    )
    remembered = {"id": persona_id, "expectedRevision": 2, "memory": True}
    edited = await client.ok(UPDATE, "updatePersona", input=remembered)
    persona: dict[str, Any] = edited["persona"]
    assert persona["status"] == "CHANGED"
    return persona


async def store_malformed_persona(database: MongoDatabase, principal: Principal) -> None:
    """A persona the API cannot read, as the newest of the principal's workspace."""
    workspace = await database["workspaces"].find_one_and_update(
        {"_id": principal.workspace_id}, {"$inc": {"persona_seq": 1}}, return_document=True
    )
    assert workspace is not None
    await database["personas"].insert_one(
        {
            "workspace_id": principal.workspace_id,
            "seq": workspace["persona_seq"],
            "draft": "not-an-object",
            "draft_digest": "0" * 64,
            "revision": 1,
            "production": None,
        }
    )


def object_id(persona_id: str) -> ObjectId:
    """The database _id behind a persona's opaque global id."""
    padded = persona_id + "=" * (-len(persona_id) % 4)
    kind, _, key = base64.urlsafe_b64decode(padded).decode().partition(":")
    assert kind == "Persona", persona_id
    return ObjectId(key)


def errors_of(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["userErrors"]]


async def mutate(api: GraphQLClient, mutation: str, **input: Any) -> dict[str, Any]:
    """The payload of a single mutation (the one top-level field of its data)."""
    data = await api.data(mutation, input=input)
    (payload,) = data.values()
    assert isinstance(payload, dict)
    return payload


async def stored(database: MongoDatabase) -> dict[str, list[dict[str, Any]]]:
    """Every document the API keeps, to compare before and after a refused request."""
    return {
        name: await database[name].find({}).sort("_id", 1).to_list()
        for name in ("personas", "persona_versions")
    }


async def versions_of(database: MongoDatabase, persona_id: str) -> list[int]:
    cursor = database["persona_versions"].find({"persona_id": object_id(persona_id)})
    return sorted(doc["version"] for doc in await cursor.to_list())


async def publish(
    api: GraphQLClient, persona: dict[str, Any], revision: int | None = None, **input: Any
) -> dict[str, Any]:
    """publishPersona's payload, at the persona's revision unless another is given."""
    return await mutate(
        api,
        PUBLISH,
        personaId=persona["id"],
        expectedRevision=persona["revision"] if revision is None else revision,
        **input,
    )

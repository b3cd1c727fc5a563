"""Factories, reads and checks shared by the draft mutation tests."""

import base64
from typing import Any

import pytest
from bson import ObjectId

from app.platform.database import MongoDatabase
from tests.support.client import (
    CREATE,
    READ,
    SET_CHAT,
    SET_VOICE,
    UPDATE,
    GraphQLClient,
    mutate,
    stored,
    voice_input,
)

READ_LOCALE = """
query($id: ID!, $locale: Locale!) {
  persona(id: $id) { draft { voiceConfiguration(locale: $locale) { locale voice { key } } } }
}
"""


# ---- helpers -----------------------------------------------------------------


def global_id(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def unknown_persona_id() -> str:
    return global_id("Persona", str(ObjectId()))


GARBAGE_IDS = [
    pytest.param("", id="empty"),
    pytest.param("not-an-id", id="plain-text"),
    pytest.param("!!!***", id="non-base64"),
    pytest.param("Persönä", id="non-ascii"),
    pytest.param(global_id("Persona", "123"), id="bad-object-id"),
    pytest.param(global_id("Persona", "zzzzzzzzzzzzzzzzzzzzzzzz"), id="non-hex-object-id"),
    pytest.param(global_id("Voice", "sara-en-us-f"), id="other-kind"),
    pytest.param(global_id("Voice", str(ObjectId())), id="other-kind-object-id"),
    pytest.param(base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(), id="non-utf8"),
    pytest.param(unknown_persona_id(), id="unknown"),
]


async def create(api: GraphQLClient, **input: Any) -> dict[str, Any]:
    return await mutate(api, CREATE, **{"name": "Sales", **input})


async def update(api: GraphQLClient, persona: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return await mutate(
        api,
        UPDATE,
        **{"id": persona["id"], "expectedRevision": persona["revision"], **fields},
    )


async def set_voice(
    api: GraphQLClient, persona: dict[str, Any], revision: int | None = None, **overrides: Any
) -> dict[str, Any]:
    return await mutate(
        api,
        SET_VOICE,
        personaId=persona["id"],
        expectedRevision=persona["revision"] if revision is None else revision,
        configuration=voice_input(**overrides),
    )


async def set_chat(
    api: GraphQLClient, persona: dict[str, Any], configuration: dict[str, Any] | None
) -> dict[str, Any]:
    return await mutate(
        api,
        SET_CHAT,
        personaId=persona["id"],
        expectedRevision=persona["revision"],
        configuration=configuration,
    )


async def read(api: GraphQLClient, persona_id: str) -> dict[str, Any] | None:
    persona: dict[str, Any] | None = (await api.data(READ, id=persona_id))["persona"]
    return persona


async def assert_refused(
    api: GraphQLClient,
    database: MongoDatabase,
    persona: dict[str, Any],
    before: dict[str, list[dict[str, Any]]],
) -> None:
    """The persona reads exactly as `persona` and no document changed."""
    assert await read(api, persona["id"]) == persona
    assert await stored(database) == before


def locales(persona: dict[str, Any]) -> list[str]:
    return [c["locale"] for c in persona["draft"]["voiceConfigurations"]]

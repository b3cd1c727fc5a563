"""Factories and checks shared by the publish tests."""

from typing import Any

from tests.support.client import (
    CREATE,
    READ,
    UPDATE,
    GraphQLClient,
    chat_input,
    mutate,
    voice_input,
)

FIRST_MESSAGE_PATH = ["draft", "voiceConfigurations", "en-US", "firstMessage"]


# ---- helpers -----------------------------------------------------------------


async def create(api: GraphQLClient, **input: Any) -> dict[str, Any]:
    payload = await mutate(api, CREATE, **{"name": "Sales", **input})
    assert payload["userErrors"] == [], payload["userErrors"]
    persona: dict[str, Any] = payload["persona"]
    return persona


async def update(api: GraphQLClient, persona: dict[str, Any], **fields: Any) -> dict[str, Any]:
    payload = await mutate(
        api, UPDATE, id=persona["id"], expectedRevision=persona["revision"], **fields
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    updated: dict[str, Any] = payload["persona"]
    return updated


async def read(api: GraphQLClient, persona_id: str) -> dict[str, Any]:
    persona: dict[str, Any] = (await api.data(READ, id=persona_id))["persona"]
    assert persona is not None
    return persona


def publishable(**input: Any) -> dict[str, Any]:
    return {"voiceConfigurations": [voice_input()], "chatConfiguration": chat_input(), **input}

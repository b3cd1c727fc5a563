"""Queries and factories shared by the read tests (personas, catalog, live configuration)."""

import base64
from typing import Any

import pytest

from tests.support.client import GraphQLClient, voice_input

VOICE_EN_INPUT = voice_input()
VOICE_AR = voice_input(
    locale="ar-AE",
    prompt="أنت وكيل مبيعات ودود.",
    voiceKey="omar-ar-ae-m",
    firstMessage="مرحبا!",
)

PERSONA = """
query($id: ID!) { persona(id: $id) { id status draft { name } } }
"""

NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Persona { draft { name } }
    ... on Voice { key locales }
    ... on LanguageModel { key channels }
  }
}
"""

PERSONAS = """
query($first: Int, $after: String, $search: String, $status: PersonaStatus) {
  personas(first: $first, after: $after, search: $search, status: $status) {
    edges { cursor node { id status draft { name } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}
"""

VOICES = "query($locale: Locale) { voices(locale: $locale) { id key name provider locales } }"

MODELS = """
query($channel: Channel) {
  languageModels(channel: $channel) { id key name provider channels maxOutputTokens }
}
"""

LIVE = """
query($personaId: ID!, $channel: Channel!, $locale: Locale) {
  liveConfiguration(personaId: $personaId, channel: $channel, locale: $locale) {
    personaId version name memory channel requestedLocale
    voice { locale prompt voice { key } model { key } firstMessage }
    chat { prompt maxTokens model { key } }
  }
}
"""

PUBLISH = """
mutation($input: PublishPersonaInput!) {
  publishPersona(input: $input) {
    persona { id revision status }
    version { version }
    userErrors { field message code }
  }
}
"""

UPDATE = """
mutation($input: UpdatePersonaInput!) {
  updatePersona(input: $input) {
    persona { id revision status draft { name } }
    userErrors { field message code }
  }
}
"""

SET_VOICE = """
mutation($input: SetVoiceConfigurationInput!) {
  setVoiceConfiguration(input: $input) {
    persona { id revision status draft { voiceConfigurations { locale prompt } } }
    userErrors { field message code }
  }
}
"""


def global_id(text: str) -> str:
    """An id in the API's own shape (unpadded base64url of "Kind:key")."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


async def publish(api: GraphQLClient, persona: dict[str, Any]) -> dict[str, Any]:
    """Publish `persona` at its current revision; returns the persona after the publish."""
    payload = (
        await api.data(
            PUBLISH, input={"personaId": persona["id"], "expectedRevision": persona["revision"]}
        )
    )["publishPersona"]
    assert payload["userErrors"] == [], payload["userErrors"]
    published: dict[str, Any] = payload["persona"]
    assert published["status"] == "PUBLISHED"
    return published


async def rename(api: GraphQLClient, persona: dict[str, Any], name: str) -> dict[str, Any]:
    payload = (
        await api.data(
            UPDATE,
            input={"id": persona["id"], "expectedRevision": persona["revision"], "name": name},
        )
    )["updatePersona"]
    assert payload["userErrors"] == [], payload["userErrors"]
    renamed: dict[str, Any] = payload["persona"]
    return renamed


async def page(api: GraphQLClient, **variables: Any) -> dict[str, Any]:
    connection: dict[str, Any] = (await api.data(PERSONAS, **variables))["personas"]
    return connection


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["draft"]["name"] for edge in connection["edges"]]


async def voice_ids(api: GraphQLClient) -> dict[str, str]:
    return {v["key"]: v["id"] for v in (await api.data(VOICES))["voices"]}


MALFORMED_IDS = [
    pytest.param("garbage", id="garbage"),
    pytest.param("", id="empty"),
    pytest.param(global_id("Persona:notanobjectid"), id="persona-not-an-objectid"),
    pytest.param(global_id("Persona:"), id="persona-no-key"),
    pytest.param("!!!not base64!!!", id="not-base64"),
    pytest.param("ü", id="non-ascii"),
]

"""Queries, factories and checks shared by the version history tests."""

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.client import (
    CREATE,
    DISCARD,
    READ,
    REMOVE_VOICE,
    RESTORE,
    ROLLBACK,
    SET_CHAT,
    SET_VOICE,
    UPDATE,
    VERSION_FIELDS,
    GraphQLClient,
    chat_input,
    mutate,
    publish,
    voice_input,
)

VERSIONS = f"""
query($id: ID!, $first: Int, $after: String) {{
  persona(id: $id) {{
    versions(first: $first, after: $after) {{
      totalCount
      pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
      edges {{ cursor node {{ {VERSION_FIELDS} }} }}
    }}
  }}
}}
"""

LIVE = """
query($personaId: ID!, $channel: Channel!, $locale: Locale) {
  liveConfiguration(personaId: $personaId, channel: $channel, locale: $locale) {
    version name memory
    voice { locale prompt temperature firstMessage voice { key } }
    chat { prompt maxTokens temperature }
  }
}
"""

VOICE_AR = voice_input(
    locale="ar-AE",
    prompt="أنت وكيل مبيعات ودود.",
    voiceKey="omar-ar-ae-m",
    firstMessage="مرحبا! كيف أساعدك؟",
)
VOICE_FR = voice_input(
    locale="fr-FR",
    prompt="Vous êtes un agent commercial.",
    voiceKey="camille-fr-fr-f",
    firstMessage="Bonjour !",
)


# ---- helpers -----------------------------------------------------------------


def global_id(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def change_map(persona: dict[str, Any]) -> dict[str, tuple[str | None, str | None]]:
    """The persona's changes keyed by path; asserts no path appears twice."""
    changes = persona["changes"]
    paths = [change["path"] for change in changes]
    assert len(paths) == len(set(paths)), changes
    return {change["path"]: (change["before"], change["after"]) for change in changes}


def locales(snapshot: dict[str, Any]) -> list[str]:
    return [config["locale"] for config in snapshot["voiceConfigurations"]]


def voice(snapshot: dict[str, Any], locale: str) -> dict[str, Any]:
    (config,) = [c for c in snapshot["voiceConfigurations"] if c["locale"] == locale]
    assert isinstance(config, dict)
    return config


async def succeed(api: GraphQLClient, mutation: str, **input: Any) -> dict[str, Any]:
    """A draft mutation that must succeed; returns the persona."""
    payload = await mutate(api, mutation, **input)
    assert payload["userErrors"] == [], payload["userErrors"]
    persona: dict[str, Any] = payload["persona"]
    return persona


def full_input(**input: Any) -> dict[str, Any]:
    return {
        "name": "Sales",
        "voiceConfigurations": [voice_input(), VOICE_AR],
        "chatConfiguration": chat_input(),
        **input,
    }


async def create(api: GraphQLClient, **input: Any) -> dict[str, Any]:
    return await succeed(api, CREATE, **full_input(**input))


async def published(api: GraphQLClient, persona: dict[str, Any], **input: Any) -> dict[str, Any]:
    """Publish, which must succeed; returns the payload."""
    payload = await publish(api, persona, **input)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def update(api: GraphQLClient, persona: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return await succeed(
        api, UPDATE, id=persona["id"], expectedRevision=persona["revision"], **fields
    )


async def set_voice(api: GraphQLClient, persona: dict[str, Any], **config: Any) -> dict[str, Any]:
    return await succeed(
        api,
        SET_VOICE,
        personaId=persona["id"],
        expectedRevision=persona["revision"],
        configuration=config,
    )


async def remove_voice(api: GraphQLClient, persona: dict[str, Any], locale: str) -> dict[str, Any]:
    return await succeed(
        api,
        REMOVE_VOICE,
        personaId=persona["id"],
        expectedRevision=persona["revision"],
        locale=locale,
    )


async def set_chat(
    api: GraphQLClient, persona: dict[str, Any], config: dict[str, Any] | None
) -> dict[str, Any]:
    return await succeed(
        api,
        SET_CHAT,
        personaId=persona["id"],
        expectedRevision=persona["revision"],
        configuration=config,
    )


async def discard(
    api: GraphQLClient, persona: dict[str, Any], revision: int | None = None
) -> dict[str, Any]:
    return await mutate(
        api,
        DISCARD,
        personaId=persona["id"],
        expectedRevision=persona["revision"] if revision is None else revision,
    )


async def restore(
    api: GraphQLClient, persona: dict[str, Any], version: int, revision: int | None = None
) -> dict[str, Any]:
    return await mutate(
        api,
        RESTORE,
        personaId=persona["id"],
        expectedRevision=persona["revision"] if revision is None else revision,
        version=version,
    )


async def rollback(
    api: GraphQLClient, persona_id: str, version: int, **input: Any
) -> dict[str, Any]:
    return await mutate(api, ROLLBACK, personaId=persona_id, version=version, **input)


async def read(api: GraphQLClient, persona_id: str) -> dict[str, Any]:
    persona: dict[str, Any] = (await api.data(READ, id=persona_id))["persona"]
    assert persona is not None
    return persona


async def versions_page(
    api: GraphQLClient, persona_id: str, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    variables: dict[str, Any] = {"id": persona_id}
    if first is not None:
        variables["first"] = first
    if after is not None:
        variables["after"] = after
    persona = (await api.data(VERSIONS, **variables))["persona"]
    assert persona is not None
    page: dict[str, Any] = persona["versions"]
    return page


def numbers(page: dict[str, Any]) -> list[int]:
    return [edge["node"]["version"] for edge in page["edges"]]


async def live(
    api: GraphQLClient, persona_id: str, channel: str, locale: str | None = None
) -> dict[str, Any]:
    variables: dict[str, Any] = {"personaId": persona_id, "channel": channel}
    if locale is not None:
        variables["locale"] = locale
    result: dict[str, Any] = (await api.data(LIVE, **variables))["liveConfiguration"]
    assert result is not None
    return result


async def five_versions(api: GraphQLClient) -> dict[str, Any]:
    """A persona published five times: version n is named "Sales n" with note "note n"."""
    persona = await create(api, name="Sales 1")
    for n in range(1, 6):
        if n > 1:
            persona = await update(api, persona, name=f"Sales {n}")
        payload = await published(api, persona, note=f"note {n}")
        assert payload["version"]["version"] == n
        persona = payload["persona"]
    return persona


async def three_versions(api: GraphQLClient) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Versions 1..3 that differ in name, en-US prompt and temperature, and chat maxTokens."""
    persona = await create(api)
    versions = [(await published(api, persona, note="one"))["version"]]
    for n, temperature, max_tokens in ((2, 0.9, 2048), (3, 1.2, 4096)):
        persona = await update(api, persona, name=f"Sales {n}")
        persona = await set_voice(
            api, persona, **voice_input(prompt=f"Prompt {n}", temperature=temperature)
        )
        persona = await set_chat(api, persona, chat_input(maxTokens=max_tokens))
        versions.append((await published(api, persona, note=f"v{n}"))["version"])
    return await read(api, persona["id"]), versions


def assert_version_node(node: dict[str, Any]) -> None:
    assert isinstance(node["version"], int)
    assert isinstance(node["snapshot"], dict)
    assert node["snapshot"]["name"]
    published_at = datetime.fromisoformat(node["publishedAt"])
    assert published_at.utcoffset() == timedelta(0)
    assert published_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert isinstance(node["publishedBy"], str)
    assert node["publishedBy"]
    assert node["note"] is None or isinstance(node["note"], str)
    assert isinstance(node["rollback"], bool)

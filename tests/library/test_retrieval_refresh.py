"""Retrieval over URL sources: nothing before a fetch, the fetched text after, and a version
published before a refresh retrieves what it pinned, while the base as it is now moves on."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.platform.settings import Settings
from tests.support.client import GraphQLClient, publish, voice_input
from tests.support.library import create_knowledge_base, url_source
from tests.support.pages import PageServer, plain, refresh, serve_pages
from tests.support.retrieval import retrieve, search

FREE = "Parking is free in the garage under the building."
PAID = "Parking in the garage now costs two euros an hour."


@pytest.fixture
def settings() -> Settings:
    # The pages are served on 127.0.0.1.
    return Settings(cors_origins=("https://spa.example.com",), knowledge_fetch_allow_private=True)


@pytest.fixture
async def server() -> AsyncIterator[PageServer]:
    async with serve_pages() as pages:
        pages.pages["/parking.txt"] = plain(FREE)
        yield pages


async def _refreshed(api: GraphQLClient, base: dict[str, Any]) -> dict[str, Any]:
    payload = await refresh(api, base)
    assert payload["userErrors"] == [], payload["userErrors"]
    refreshed: dict[str, Any] = payload["knowledgeBase"]
    return refreshed


async def test_a_refresh_after_publishing_changes_nothing_the_version_retrieves(
    api: GraphQLClient, server: PageServer
) -> None:
    source = url_source(title="Parking", url=server.url("/parking.txt"))
    base = await create_knowledge_base(api, sources=[source])
    assert await search(api, base, "parking garage") == []  # never fetched: no text yet
    base = await _refreshed(api, base)
    persona = await api.create_persona(
        voiceConfigurations=[voice_input()], knowledgeBases=[{"knowledgeBaseId": base["id"]}]
    )
    assert (await publish(api, persona))["userErrors"] == []
    before = await retrieve(api, persona, 1, "parking garage")
    assert [p["text"] for p in before] == [FREE]
    assert before[0]["url"] == server.url("/parking.txt")

    server.pages["/parking.txt"] = plain(PAID)
    await _refreshed(api, base)

    assert await retrieve(api, persona, 1, "parking garage") == before
    assert [p["text"] for p in await search(api, base, "parking garage")] == [PAID]

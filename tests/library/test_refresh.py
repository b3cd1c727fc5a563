"""refreshKnowledgeSource over GraphQL: the fetched text, revisions, FETCH_FAILED, pinning,
readiness, roles and workspaces. Pages are served on 127.0.0.1, so the app under test has
KNOWLEDGE_FETCH_ALLOW_PRIVATE=true, except where a test builds one without it."""

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bson import ObjectId

from app.access.principal import Role
from app.platform.database import MongoDatabase
from app.platform.settings import Settings, load_settings
from app.server.asgi import create_app
from graphql_schema import ids
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient, chat_input, errors_of, publish, voice_input
from tests.support.library import UPDATE_KB, create_knowledge_base, text_source, url_source
from tests.support.pages import (
    FAQ_TEXT,
    Gate,
    Page,
    PageServer,
    client_of,
    html,
    plain,
    read_sources,
    refresh,
    serve_pages,
)

PINNED = """
query($id: ID!) {
  persona(id: $id) {
    revision
    production { version snapshot { knowledgeBases { definition { revision sources {
      textHash text fetchedAt
    } } } } }
    readiness { publishable problems { field code } warnings { field code message } }
  }
}
"""


@pytest.fixture
def settings() -> Settings:
    return Settings(cors_origins=("https://spa.example.com",), knowledge_fetch_allow_private=True)


@pytest.fixture
async def server() -> AsyncIterator[PageServer]:
    async with serve_pages() as pages:
        pages.pages["/faq.html"] = html()
        yield pages


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def _url_base(api: GraphQLClient, server: PageServer, **overrides: Any) -> dict[str, Any]:
    return await create_knowledge_base(
        api, sources=[url_source(url=server.url("/faq.html"))], **overrides
    )


async def _refreshed(api: GraphQLClient, base: dict[str, Any], **given: Any) -> dict[str, Any]:
    payload = await refresh(api, base, **given)
    assert payload["userErrors"] == [], payload["userErrors"]
    refreshed: dict[str, Any] = payload["knowledgeBase"]
    return refreshed


async def test_a_refresh_stores_the_page_text_by_hash(
    api: GraphQLClient, server: PageServer, database: MongoDatabase
) -> None:
    base = await _url_base(api, server)
    (never,) = (await read_sources(api, base))["sources"]
    assert (never["text"], never["textHash"], never["fetchedAt"], never["fetchError"]) == (
        None,
        None,
        None,
        None,
    )
    refreshed = await _refreshed(api, base)
    (source,) = refreshed["sources"]
    assert refreshed["revision"] == 2
    assert (source["text"], source["characters"]) == (FAQ_TEXT, len(FAQ_TEXT))
    assert (source["textHash"], source["fetchError"]) == (_sha256(FAQ_TEXT), None)
    assert source["contentHash"] == never["contentHash"] == _sha256(server.url("/faq.html"))
    assert source["fetchedAt"] is not None
    assert await read_sources(api, base) == refreshed
    stored = await database["knowledge_texts"].find({}).to_list()
    assert stored == [{"_id": _sha256(FAQ_TEXT), "text": FAQ_TEXT}]
    assert [path for path, _ in server.requests] == ["/faq.html"]


async def test_the_revision_moves_only_when_the_text_changed(
    api: GraphQLClient, server: PageServer, database: MongoDatabase
) -> None:
    base = await _refreshed(api, await _url_base(api, server))
    again = await _refreshed(api, base)
    assert (again["revision"], again["updatedAt"]) == (2, base["updatedAt"])
    assert again["sources"][0]["fetchedAt"] >= base["sources"][0]["fetchedAt"]
    assert again["sources"][0]["textHash"] == base["sources"][0]["textHash"]
    server.pages["/faq.html"] = plain("Prices changed: 12 EUR a month.")
    changed = await _refreshed(api, again)
    assert changed["revision"] == 3
    assert changed["updatedAt"] > base["updatedAt"]
    source = changed["sources"][0]
    assert (source["text"], source["textHash"]) == (
        "Prices changed: 12 EUR a month.",
        _sha256("Prices changed: 12 EUR a month."),
    )
    assert await database["knowledge_texts"].count_documents({}) == 2  # the old text stays
    stale = await refresh(api, changed, revision=2)
    assert errors_of(stale) == [("REVISION_MISMATCH", ["expectedRevision"])]
    assert len(server.requests) == 3  # refused before fetching


async def test_a_failed_fetch_is_fetch_failed_recorded_and_keeps_the_text(
    api: GraphQLClient, server: PageServer
) -> None:
    base = await _refreshed(api, await _url_base(api, server))
    server.pages["/faq.html"] = Page(b"down for maintenance", "text/plain", status=503)
    failed = await refresh(api, base)
    assert failed["knowledgeBase"] is None
    assert failed["userErrors"] == [
        {"field": ["sourceId"], "message": "The server answered 503.", "code": "FETCH_FAILED"}
    ]
    after = await read_sources(api, base)
    assert (after["revision"], after["updatedAt"]) == (2, base["updatedAt"])
    kept = {**base["sources"][0], "fetchError": "The server answered 503."}
    assert after["sources"] == [kept]
    server.pages["/faq.html"] = html()
    recovered = await _refreshed(api, after)
    assert recovered["revision"] == 2  # the same text as before the failure
    assert recovered["sources"][0]["fetchError"] is None
    # A source never fetched that fails keeps no text at all.
    other = await _url_base(api, server, name="Other")
    server.pages["/faq.html"] = Page(b"%PDF-1.7", "application/pdf")
    assert errors_of(await refresh(api, other)) == [("FETCH_FAILED", ["sourceId"])]
    (source,) = (await read_sources(api, other))["sources"]
    assert (source["text"], source["textHash"], source["fetchedAt"]) == (None, None, None)
    assert source["fetchError"] == (
        "The page is 'application/pdf': only HTML and plain text are read."
    )


async def test_without_the_setting_loopback_and_private_pages_are_refused(
    api: GraphQLClient,
    server: PageServer,
    database: MongoDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local = await _url_base(api, server)
    private = await create_knowledge_base(
        api, name="Intranet", sources=[url_source(url="https://10.0.0.1/faq")]
    )
    async with client_of(create_app(Settings(), database), api) as strict:
        refused = await refresh(strict, local)
        assert refused["userErrors"][0]["message"] == (
            "127.0.0.1 is a loopback address (KNOWLEDGE_FETCH_ALLOW_PRIVATE is off): refused."
        )
        # Refused before any connection: nothing is sent to 10.0.0.1.
        refused = await refresh(strict, private)
        assert errors_of(refused) == [("FETCH_FAILED", ["sourceId"])]
        assert "10.0.0.1 is a private address" in refused["userErrors"][0]["message"]
    assert server.requests == []
    monkeypatch.setenv("KNOWLEDGE_FETCH_ALLOW_PRIVATE", "true")
    async with client_of(create_app(load_settings(), database), api) as allowed:
        assert (await _refreshed(allowed, local))["sources"][0]["text"] == FAQ_TEXT


async def test_refusals_name_their_field_and_fetch_nothing(
    api: GraphQLClient, server: PageServer, database: MongoDatabase
) -> None:
    base = await create_knowledge_base(
        api, sources=[text_source(), url_source(url=server.url("/faq.html"))]
    )
    before = await database["knowledge_bases"].find({}).to_list()
    unknown = {**base, "id": ids.encode("KnowledgeBase", str(ObjectId()))}
    other_source = {**base, "sources": [{"id": "0" * 32}]}
    for payload, expected in (
        (await refresh(api, base, revision=2), ("REVISION_MISMATCH", ["expectedRevision"])),
        (await refresh(api, unknown), ("NOT_FOUND", ["knowledgeBaseId"])),
        (await refresh(api, {**base, "id": "not-an-id"}), ("NOT_FOUND", ["knowledgeBaseId"])),
        (await refresh(api, other_source), ("NOT_FOUND", ["sourceId"])),
        (await refresh(api, base, source=0), ("INVALID", ["sourceId"])),
    ):
        assert payload["knowledgeBase"] is None
        assert errors_of(payload) == [expected], payload
    assert await database["knowledge_bases"].find({}).to_list() == before
    assert server.requests == []


async def _held(server: PageServer, page: Page) -> Gate:
    """Serve `page` at /faq.html, each fetch held until the gate opens."""
    gate = Gate()
    server.pages["/faq.html"] = Page(page.body, page.content_type, page.status, gate)
    return gate


async def test_an_edit_while_the_page_is_fetched_wins_and_the_refresh_writes_nothing(
    api: GraphQLClient, server: PageServer
) -> None:
    base = await _url_base(api, server)
    gate = await _held(server, html())
    pending = asyncio.create_task(refresh(api, base))
    await gate.arrived.wait()
    rename = {"id": base["id"], "expectedRevision": 1, "name": "Renamed"}
    await api.ok(UPDATE_KB, "updateKnowledgeBase", input=rename)
    gate.opened.set()
    assert errors_of(await pending) == [("REVISION_MISMATCH", ["expectedRevision"])]
    after = await read_sources(api, base)
    assert (after["revision"], after["sources"][0]["textHash"]) == (2, None)
    # A failure is not recorded over the edit either, and says both.
    gate = await _held(server, Page(b"", "text/plain", status=500))
    pending = asyncio.create_task(refresh(api, after))
    await gate.arrived.wait()
    await api.ok(
        UPDATE_KB, "updateKnowledgeBase", input={**rename, "expectedRevision": 2, "name": "Again"}
    )
    gate.opened.set()
    both = [("FETCH_FAILED", ["sourceId"]), ("REVISION_MISMATCH", ["expectedRevision"])]
    assert errors_of(await pending) == both
    latest = await read_sources(api, base)
    assert (latest["revision"], latest["sources"][0]["fetchError"]) == (3, None)


async def _persona_with(api: GraphQLClient, base: dict[str, Any]) -> dict[str, Any]:
    return await api.create_persona(
        voiceConfigurations=[voice_input()],
        chatConfiguration=chat_input(),
        knowledgeBases=[{"knowledgeBaseId": base["id"]}],
    )


async def _pinned(api: GraphQLClient, persona: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = (await api.data(PINNED, id=persona["id"]))["persona"]
    return found


async def test_a_version_published_before_keeps_the_text_it_pinned(
    api: GraphQLClient, server: PageServer
) -> None:
    base = await _refreshed(api, await _url_base(api, server))
    persona = await _persona_with(api, base)
    assert (await publish(api, persona))["userErrors"] == []
    published = (await _pinned(api, persona))["production"]
    (pinned,) = published["snapshot"]["knowledgeBases"][0]["definition"]["sources"]
    assert (pinned["text"], pinned["textHash"]) == (FAQ_TEXT, _sha256(FAQ_TEXT))
    # The same text again, or a failure: nothing new to publish, nothing changed live.
    same = await _refreshed(api, base)
    server.pages["/faq.html"] = Page(b"", "text/plain", status=500)
    assert errors_of(await refresh(api, same)) == [("FETCH_FAILED", ["sourceId"])]
    now = await _pinned(api, persona)
    assert now["production"] == published
    assert now["readiness"]["problems"] == [{"field": ["personaId"], "code": "NOTHING_TO_PUBLISH"}]
    server.pages["/faq.html"] = plain("New prices from May.")
    assert (await _refreshed(api, same))["revision"] == 3
    now = await _pinned(api, persona)
    assert now["production"] == published  # still the text it pinned
    assert now["readiness"]["publishable"] is True
    republished = await publish(api, persona, revision=now["revision"])
    assert republished["userErrors"] == []
    newer = (await _pinned(api, persona))["production"]
    (pinned,) = newer["snapshot"]["knowledgeBases"][0]["definition"]["sources"]
    assert (newer["version"], pinned["text"]) == (2, "New prices from May.")


async def test_readiness_warns_about_a_url_source_never_fetched(
    api: GraphQLClient, server: PageServer
) -> None:
    base = await _url_base(api, server)
    persona = await _persona_with(api, base)
    warned = (await _pinned(api, persona))["readiness"]["warnings"]
    assert warned == [
        {
            "field": ["draft", "knowledgeBases", "0", "knowledgeBaseId"],
            "code": "URL_SOURCE_NOT_FETCHED",
            "message": "The URL source 'Pricing' was never fetched, so it yields no passages: "
            "refreshKnowledgeSource fetches it.",
        }
    ]
    server.pages["/faq.html"] = Page(b"", "text/plain", status=404)
    assert errors_of(await refresh(api, base)) == [("FETCH_FAILED", ["sourceId"])]
    assert (await _pinned(api, persona))["readiness"]["warnings"] == warned
    server.pages["/faq.html"] = html()
    await _refreshed(api, base)
    assert (await _pinned(api, persona))["readiness"]["warnings"] == []


async def test_editors_refresh_and_viewers_may_not(
    client_for: ClientFactory, server: PageServer
) -> None:
    editor = await client_for(Role.EDITOR)
    viewer = await client_for(Role.VIEWER)
    base = await _url_base(editor, server)
    assert errors_of(await refresh(viewer, base)) == [("FORBIDDEN", None)]
    assert server.requests == []
    assert (await read_sources(viewer, base))["sources"][0]["textHash"] is None
    assert (await _refreshed(editor, base))["sources"][0]["text"] == FAQ_TEXT


async def test_another_workspace_cannot_refresh_this_ones_sources(
    api: GraphQLClient, client_for: ClientFactory, server: PageServer
) -> None:
    base = await _url_base(api, server)
    other = await client_for(Role.ADMIN, "globex")
    assert errors_of(await refresh(other, base)) == [("NOT_FOUND", ["knowledgeBaseId"])]
    assert server.requests == []
    assert (await read_sources(api, base))["sources"][0]["textHash"] is None

"""Knowledge bases: TEXT and URL sources with hashes, texts stored once, revisions, pages."""

import hashlib
from typing import Any

from app.platform.database import MongoDatabase
from tests.conftest import CommandLog
from tests.support.client import GraphQLClient, errors_of, mutate
from tests.support.library import (
    ADD_SOURCES,
    CREATE_KB,
    KNOWLEDGE_BASES,
    OPENING_HOURS,
    READ_KB,
    REMOVE_SOURCE,
    UPDATE_KB,
    create_knowledge_base,
    knowledge_base,
    text_source,
    url_source,
)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_sources_get_ids_hashes_and_lengths(api: GraphQLClient) -> None:
    base = await create_knowledge_base(api)
    assert (base["name"], base["description"], base["revision"]) == (
        "Front desk FAQ",
        "What callers ask most.",
        1,
    )
    text, url = base["sources"]
    assert (text["kind"], text["title"], text["text"], text["url"]) == (
        "TEXT",
        "Opening hours",
        OPENING_HOURS,
        None,
    )
    assert (text["characters"], text["contentHash"]) == (len(OPENING_HOURS), _sha256(OPENING_HOURS))
    assert (url["kind"], url["url"], url["text"], url["characters"]) == (
        "URL",
        "https://acme.example.com/pricing",
        None,
        0,
    )
    assert url["contentHash"] == _sha256("https://acme.example.com/pricing")
    assert text["id"] != url["id"]
    assert (await api.data(READ_KB, id=base["id"]))["knowledgeBase"] == base
    node = await api.data(
        "query($id: ID!) { node(id: $id) { id ... on KnowledgeBase { name } } }", id=base["id"]
    )
    assert node["node"] == {"id": base["id"], "name": "Front desk FAQ"}


async def test_a_text_is_stored_once_whoever_uses_it(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    twice = [text_source(), text_source(title="Hours, again")]
    first = await create_knowledge_base(api, sources=twice)
    second = await create_knowledge_base(api, name="Other", sources=[text_source()])
    stored = await database["knowledge_texts"].find({}).to_list()
    assert stored == [{"_id": _sha256(OPENING_HOURS), "text": OPENING_HOURS}]
    hashes = {s["contentHash"] for b in (first, second) for s in b["sources"]}
    assert hashes == {_sha256(OPENING_HOURS)}
    # The base itself keeps no text: only what finds it.
    document = await database["knowledge_bases"].find_one({"name": "Other"})
    assert document is not None
    assert OPENING_HOURS not in str(document)


async def test_bad_sources_are_refused_at_their_paths(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    cases: list[tuple[dict[str, Any], list[str]]] = [
        (knowledge_base(name=" "), ["name"]),
        (knowledge_base(name="n" * 201), ["name"]),
        (knowledge_base(description="d" * 1_001), ["description"]),
        (knowledge_base(sources=[text_source(title="")]), ["sources", "0", "title"]),
        (knowledge_base(sources=[text_source(title="t" * 201)]), ["sources", "0", "title"]),
        (knowledge_base(sources=[text_source(text=None)]), ["sources", "0", "text"]),
        (knowledge_base(sources=[text_source(text="  ")]), ["sources", "0", "text"]),
        (
            knowledge_base(sources=[url_source(), text_source(url="https://a.example.com")]),
            ["sources", "1", "url"],
        ),
        (knowledge_base(sources=[url_source(url=None)]), ["sources", "0", "url"]),
        (knowledge_base(sources=[url_source(url="ftp://a.example.com")]), ["sources", "0", "url"]),
        (knowledge_base(sources=[url_source(url="http://a.example.com")]), ["sources", "0", "url"]),
        (knowledge_base(sources=[url_source(text="page")]), ["sources", "0", "text"]),
    ]
    for spec, path in cases:
        payload = await mutate(api, CREATE_KB, **spec)
        assert payload["knowledgeBase"] is None
        assert errors_of(payload) == [("INVALID", path)], (spec, payload)
    assert await database["knowledge_bases"].count_documents({}) == 0
    assert await database["knowledge_texts"].count_documents({}) == 0
    local = knowledge_base(sources=[url_source(url="http://localhost:8000/faq")])
    assert (await api.ok(CREATE_KB, "createKnowledgeBase", input=local))["knowledgeBase"]


async def test_names_are_unique_in_a_workspace_ignoring_case(api: GraphQLClient) -> None:
    await create_knowledge_base(api)
    again = await mutate(api, CREATE_KB, **knowledge_base(name="FRONT DESK faq"))
    assert errors_of(again) == [("DUPLICATE_NAME", ["name"])]
    other = await create_knowledge_base(api, name="Returns")
    renamed = await mutate(
        api, UPDATE_KB, id=other["id"], expectedRevision=1, name="front desk FAQ"
    )
    assert errors_of(renamed) == [("DUPLICATE_NAME", ["name"])]
    assert (await api.data(READ_KB, id=other["id"]))["knowledgeBase"]["revision"] == 1


async def test_every_change_bumps_the_revision_once(api: GraphQLClient) -> None:
    base = await create_knowledge_base(api, sources=[text_source()])
    kb = base["id"]
    renamed = await api.ok(
        UPDATE_KB, "updateKnowledgeBase", input={"id": kb, "expectedRevision": 1, "name": "FAQ"}
    )
    updated = renamed["knowledgeBase"]
    assert (updated["revision"], updated["name"], updated["description"]) == (
        2,
        "FAQ",
        "What callers ask most.",
    )
    assert updated["updatedAt"] > base["updatedAt"]
    cleared = await api.ok(
        UPDATE_KB,
        "updateKnowledgeBase",
        input={"id": kb, "expectedRevision": 2, "description": None},
    )
    assert (cleared["knowledgeBase"]["revision"], cleared["knowledgeBase"]["description"]) == (
        3,
        None,
    )
    same = await api.ok(
        UPDATE_KB, "updateKnowledgeBase", input={"id": kb, "expectedRevision": 3, "name": "FAQ"}
    )
    assert same["knowledgeBase"]["revision"] == 3  # nothing changed, so nothing to bump
    added = await api.ok(
        ADD_SOURCES,
        "addKnowledgeSources",
        input={"knowledgeBaseId": kb, "expectedRevision": 3, "sources": [url_source()]},
    )
    sources = added["knowledgeBase"]["sources"]
    assert added["knowledgeBase"]["revision"] == 4
    assert [s["title"] for s in sources] == ["Opening hours", "Pricing"]
    assert sources[0] == base["sources"][0]  # ids stay as they were
    removed = await api.ok(
        REMOVE_SOURCE,
        "removeKnowledgeSource",
        input={"knowledgeBaseId": kb, "expectedRevision": 4, "sourceId": sources[0]["id"]},
    )
    assert removed["knowledgeBase"]["revision"] == 5
    assert removed["knowledgeBase"]["sources"] == sources[1:]


async def test_a_stale_revision_changes_nothing(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    base = await create_knowledge_base(api)
    kb, source = base["id"], base["sources"][0]["id"]
    await api.ok(
        UPDATE_KB, "updateKnowledgeBase", input={"id": kb, "expectedRevision": 1, "name": "FAQ"}
    )
    before = await database["knowledge_bases"].find_one({})
    for mutation, input in (
        (UPDATE_KB, {"id": kb, "expectedRevision": 1, "name": "Stale"}),
        (ADD_SOURCES, {"knowledgeBaseId": kb, "expectedRevision": 1, "sources": [url_source()]}),
        (REMOVE_SOURCE, {"knowledgeBaseId": kb, "expectedRevision": 1, "sourceId": source}),
    ):
        payload = await mutate(api, mutation, **input)
        assert payload["knowledgeBase"] is None
        assert errors_of(payload) == [("REVISION_MISMATCH", ["expectedRevision"])]
    assert await database["knowledge_bases"].find_one({}) == before


async def test_removing_an_unknown_source_is_not_found(api: GraphQLClient) -> None:
    base = await create_knowledge_base(api)
    for source_id in ("0" * 32, "not-a-source"):
        payload = await mutate(
            api, REMOVE_SOURCE, knowledgeBaseId=base["id"], expectedRevision=1, sourceId=source_id
        )
        assert errors_of(payload) == [("NOT_FOUND", ["sourceId"])]
    assert (await api.data(READ_KB, id=base["id"]))["knowledgeBase"]["revision"] == 1


async def test_pages_are_newest_first_and_search_ignores_case(api: GraphQLClient) -> None:
    names = [f"Base {n}" for n in range(7)] + ["Café menu"]
    for name in names:
        await create_knowledge_base(api, name=name)
    first = (await api.data(KNOWLEDGE_BASES, first=3))["knowledgeBases"]
    assert [edge["node"]["name"] for edge in first["edges"]] == ["Café menu", "Base 6", "Base 5"]
    assert first["edges"][0]["node"]["sources"][0] == {
        "title": "Opening hours",
        "text": OPENING_HOURS,
    }
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"]) == (8, True)
    after = first["pageInfo"]["endCursor"]
    rest = (await api.data(KNOWLEDGE_BASES, first=10, after=after))["knowledgeBases"]
    assert [edge["node"]["name"] for edge in rest["edges"]] == names[4::-1]
    assert rest["pageInfo"]["hasNextPage"] is False
    found = (await api.data(KNOWLEDGE_BASES, search="CAFE M"))["knowledgeBases"]
    assert [edge["node"]["name"] for edge in found["edges"]] == ["Café menu"]
    assert found["totalCount"] == 1
    assert (await api.data(KNOWLEDGE_BASES, search="zz"))["knowledgeBases"]["totalCount"] == 0


async def test_a_page_reads_its_texts_in_one_query(
    api: GraphQLClient, command_log: CommandLog
) -> None:
    for n in range(5):
        sources = [text_source(text=f"Text {n}.{m}") for m in range(3)]
        await create_knowledge_base(api, name=f"Base {n}", sources=sources)
    start = len(command_log.targets)
    page = (await api.data(KNOWLEDGE_BASES))["knowledgeBases"]
    texts = [s["text"] for edge in page["edges"] for s in edge["node"]["sources"]]
    assert texts == [f"Text {n}.{m}" for n in range(4, -1, -1) for m in range(3)]
    assert command_log.targets[start:].count(("find", "knowledge_texts")) == 1

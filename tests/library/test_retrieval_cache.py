"""Indexes: one build per content however many ask, kept within a memory bound, least
recently used evicted, and built off the event loop."""

import asyncio
import threading
from typing import Any

import pytest

from app.library.retrieval import bm25
from app.library.retrieval.cache import IndexCache, Key, configure, indexes
from app.library.retrieval.engine import Index, SourceText
from app.platform.database import MongoDatabase
from app.platform.settings import SettingsError, load_settings
from app.server.asgi import create_app
from tests.support.client import GraphQLClient
from tests.support.library import ADD_SOURCES
from tests.support.retrieval import base_of, generated_texts, search, source


class CountingEngine:
    """The BM25 engine, counting its builds."""

    def __init__(self) -> None:
        self.builds = 0

    def __call__(self, texts: list[SourceText]) -> Index:
        self.builds += 1
        return bm25.build(texts)


def _content(name: str) -> tuple[Key, list[SourceText]]:
    texts = [
        SourceText(f"{name}-{n}", f"{name}-hash-{n}", text)
        for n, text in enumerate(generated_texts(3, 3_000, seed=name))
    ]
    return tuple(sorted((t.source_id, t.text_hash) for t in texts)), texts


def _loader(texts: list[SourceText], loads: list[int]) -> Any:
    async def load() -> list[SourceText]:
        loads.append(1)
        await asyncio.sleep(0)
        return texts

    return load


async def test_concurrent_requests_for_one_content_share_one_build() -> None:
    engine = CountingEngine()
    cache = IndexCache(engine=engine)
    key, texts = _content("shared")
    loads: list[int] = []
    found = await asyncio.gather(*(cache.get(key, _loader(texts, loads)) for _ in range(8)))
    assert (engine.builds, len(loads)) == (1, 1)
    assert all(index is found[0] for index in found)
    assert await cache.get(key, _loader(texts, loads)) is found[0]
    assert (engine.builds, len(loads)) == (1, 1)


async def test_the_least_recently_used_index_goes_beyond_the_bound() -> None:
    contents = {name: _content(name) for name in ("first", "second", "third")}
    size = {name: bm25.build(texts).size_bytes for name, (_, texts) in contents.items()}
    engine = CountingEngine()
    cache = IndexCache(max_bytes=max(size["first"] + size["second"], size["first"] + size["third"]))
    cache.engine = engine
    loads: list[int] = []

    async def get(name: str) -> Index:
        key, texts = contents[name]
        return await cache.get(key, _loader(texts, loads))

    await get("first")
    await get("second")
    await get("first")  # now the second is the least recently used
    await get("third")
    assert [contents[name][0] in cache for name in ("first", "second", "third")] == [
        True,
        False,
        True,
    ]
    assert cache.kept_bytes == size["first"] + size["third"] <= cache.max_bytes
    assert engine.builds == 3
    await get("second")  # rebuilt from what the loader reads
    assert (engine.builds, len(loads)) == (4, 4)
    cache.bound(0)
    assert cache.kept_bytes == 0


async def test_an_index_larger_than_the_bound_is_served_not_kept() -> None:
    engine = CountingEngine()
    cache = IndexCache(max_bytes=1, engine=engine)
    key, texts = _content("large")
    loads: list[int] = []
    index = await cache.get(key, _loader(texts, loads))
    assert index.search("a", 1) is not None
    assert key not in cache
    await cache.get(key, _loader(texts, loads))
    assert engine.builds == 2


async def test_a_failed_build_fails_its_callers_and_the_next_call_builds_again() -> None:
    cache = IndexCache()
    key, texts = _content("failing")

    async def broken() -> list[SourceText]:
        await asyncio.sleep(0)
        raise ConnectionError("database unreachable")

    results = await asyncio.gather(
        cache.get(key, broken), cache.get(key, broken), return_exceptions=True
    )
    assert [type(result) for result in results] == [ConnectionError, ConnectionError]
    assert not cache.building(key)
    assert await cache.get(key, _loader(texts, [])) is not None


async def test_a_caller_giving_up_leaves_the_build_to_the_others() -> None:
    cache = IndexCache()
    key, texts = _content("patient")
    release = asyncio.Event()

    async def slow() -> list[SourceText]:
        await release.wait()
        return texts

    impatient = asyncio.create_task(cache.get(key, slow))
    patient = asyncio.create_task(cache.get(key, slow))
    await asyncio.sleep(0)
    impatient.cancel()
    release.set()
    index = await patient
    assert impatient.cancelled()
    assert key in cache
    assert await cache.get(key, slow) is index


def test_the_bound_is_the_retrieval_cache_mb_setting(
    monkeypatch: pytest.MonkeyPatch, database: MongoDatabase
) -> None:
    monkeypatch.setenv("RETRIEVAL_CACHE_MB", "3")
    settings = load_settings()
    assert settings.retrieval_cache_mb == 3
    try:
        create_app(settings, database)
        assert indexes.max_bytes == 3 * 1024 * 1024
    finally:
        configure(load_settings(retrieval_cache_mb=256).retrieval_cache_mb)
    monkeypatch.setenv("RETRIEVAL_CACHE_MB", "0")
    with pytest.raises(SettingsError, match="RETRIEVAL_CACHE_MB"):
        load_settings()


async def _large_base(api: GraphQLClient) -> dict[str, Any]:
    """90 sources of 25,000 characters: 2.25 million, sent in requests under the body limit."""
    texts = generated_texts(90, 25_000, seed="large")
    batches = [texts[at : at + 30] for at in range(0, 90, 30)]
    base = await base_of(api, "Large", *((f"Part {n}", t) for n, t in enumerate(batches[0])))
    for revision, batch in enumerate(batches[1:], start=1):
        sources = [source(f"Part {30 * revision + n}", t) for n, t in enumerate(batch)]
        input = {"knowledgeBaseId": base["id"], "expectedRevision": revision, "sources": sources}
        base = (await api.ok(ADD_SOURCES, "addKnowledgeSources", input=input))["knowledgeBase"]
    assert sum(s["characters"] for s in base["sources"]) == 2_250_000
    return base


async def test_a_large_build_leaves_other_requests_answered(
    api: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = await base_of(api, "Small", ("Parking", "Free parking in the garage."))
    assert len(await search(api, small, "parking")) == 1  # its index is kept
    large = await _large_base(api)
    loop = asyncio.get_running_loop()
    building = asyncio.Event()
    # The build cannot end before the other request has its answer, whatever the load: if
    # it ran on the event loop, this wait would hold the loop and that answer back.
    answered = threading.Event()

    def engine(texts: list[SourceText]) -> Index:
        loop.call_soon_threadsafe(building.set)
        index = bm25.build(texts)
        answered.wait(timeout=60)
        return index

    monkeypatch.setattr(indexes, "engine", engine)
    query = " ".join(generated_texts(1, 25_000, seed="large")[0].split()[40:44])
    searching = asyncio.create_task(search(api, large, query))
    await building.wait()
    assert await search(api, small, "parking garage") != []
    listed = await api.data("{ knowledgeBases { totalCount } }")
    answered.set()
    assert not searching.done()
    assert listed["knowledgeBases"]["totalCount"] == 2
    found = await searching
    assert found[0]["title"] == "Part 0"

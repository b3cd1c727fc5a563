"""The retrieval rows' data and baseline: the sizes the rows name, and the same answers as
the API's engine, so that their ratio compares like with like."""

import httpx
import pytest

from app.library.knowledge.validation import MAX_SOURCES, MAX_TEXT
from app.library.retrieval import bm25
from app.library.retrieval.engine import SourceText
from bench import retrieval_baseline, retrieval_corpus


def test_the_sources_are_the_size_asked_and_the_same_for_the_same_seed() -> None:
    sources = retrieval_corpus.sources(10, 120_000)
    assert [len(s.text) for s in sources] == [12_000] * 10
    assert sources == retrieval_corpus.sources(10, 120_000)
    assert sources != retrieval_corpus.sources(10, 120_000, seed="another")
    assert not any(s.text[-1].isspace() for s in sources)
    assert len({s.title for s in sources}) == 10
    # The full rows fit what createKnowledgeBase accepts.
    each = retrieval_corpus.CHARACTERS // retrieval_corpus.SOURCES
    assert retrieval_corpus.SOURCES <= MAX_SOURCES
    assert each <= MAX_TEXT


def test_the_queries_vary_and_repeat_with_the_seed() -> None:
    queries = retrieval_corpus.queries()
    assert len(set(queries)) == len(queries) == retrieval_corpus.QUERIES
    assert queries == retrieval_corpus.queries()


@pytest.fixture
def baseline(monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    monkeypatch.setenv("BENCH_KNOWLEDGE_SOURCES", "20")
    monkeypatch.setenv("BENCH_KNOWLEDGE_CHARACTERS", "200000")
    return 20, 200_000


async def test_the_baseline_finds_what_the_api_engine_finds(baseline: tuple[int, int]) -> None:
    count, characters = baseline
    sources = retrieval_corpus.sources(count, characters)
    engine = bm25.build([SourceText(str(n), "", s.text, s.title) for n, s in enumerate(sources)])
    app = retrieval_baseline.app
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as http,
    ):
        built = (await http.get("/build")).json()
        assert len(built["library_seconds"]) == retrieval_baseline.BUILDS
        assert built["size_bytes"] > 0
        for query in retrieval_corpus.queries()[:20]:
            answer = await http.post("/retrieve", json={"query": query, "topK": 5})
            found = [(p["title"], p["start"]) for p in answer.json()["passages"]]
            expected = [
                (sources[int(hit.passage.source_id)].title, hit.passage.chunk.start)
                for hit in engine.search(query, 5)
            ]
            # bm25s orders equal scores as its top-k selection leaves them, the API by chunk.
            assert sorted(found) == sorted(expected), query
            assert found, query

"""R: retrieval over a knowledge base of 100 TEXT sources, 5 million characters in all.

The data goes in through GraphQL on one `serve`, which is then stopped, so that a fresh one
measures with a cold index cache: its RSS before and after the first retrieveKnowledge
(which builds the index), that request's time against bm25s building the same chunks its
own way, and then retrieveKnowledge under load against bench/retrieval_baseline.py, which
holds bm25s's index of the same chunks and answers one query per request. The notes give
what reads the ratio: the same questions on a one-source base (the API's cost around a
search) and through POST /retrieval (Dify's door: no GraphQL, the base as it is now).
"""

import dataclasses
import json
import statistics
import time

import httpx

from bench import retrieval_corpus, retrieval_setup, servers
from bench.load import HttpRequest, RowError, Target
from bench.report import TIMES, Row
from bench.runner import Bench, Raw, progress
from bench.scenarios import body, graphql

SLOTS = ("retrieve", "retrieve-build", "retrieve-rss")
READ_RATIO = 0.5
BUILD_RATIO = 2.0
BUILDS = 3  # cold builds on each side, the median compared: one is too noisy here
TOP_K = 5
RETRIEVE = (
    "query($personaId: ID!, $version: Int!, $q: String!, $topK: Int) {"
    " retrieveKnowledge(personaId: $personaId, version: $version, channel: VOICE, query: $q,"
    " topK: $topK) { knowledgeBaseId sourceId title url text start score } }"
)
MIB = 1048576


def _millions(characters: int) -> str:
    return f"{characters / 1e6:g}M"


def _requests(published: retrieval_setup.Published, queries: list[str]) -> list[HttpRequest]:
    return [
        HttpRequest(
            "POST",
            "/graphql",
            body(
                RETRIEVE,
                personaId=published.persona_id,
                version=published.version,
                q=q,
                topK=TOP_K,
            ),
        )
        for q in queries
    ]


def _dify_requests(published: retrieval_setup.Published, queries: list[str]) -> list[HttpRequest]:
    asked = {"knowledge_id": published.knowledge_base_id}
    setting = {"top_k": TOP_K, "score_threshold": 0}
    return [
        HttpRequest(
            "POST",
            "/retrieval",
            json.dumps({**asked, "query": q, "retrieval_setting": setting}).encode(),
        )
        for q in queries
    ]


def _baseline_requests(queries: list[str]) -> list[HttpRequest]:
    return [
        HttpRequest("POST", "/retrieve", json.dumps({"query": q, "topK": TOP_K}).encode())
        for q in queries
    ]


def _ask(target: Target, request: HttpRequest) -> tuple[float, list[tuple[str, int]]]:
    """One request's seconds and the (title, start) of the passages it found."""
    started = time.perf_counter()
    response = httpx.request(
        request.method,
        target.base_url + request.path,
        content=request.body,
        headers={"Content-Type": "application/json", **target.headers},
        timeout=600.0,
    )
    seconds = time.perf_counter() - started
    found = response.json() if response.status_code == 200 else {}
    if "data" in found and not found.get("errors"):
        passages = found["data"]["retrieveKnowledge"]
    elif "passages" in found:
        passages = found["passages"]
    else:
        raise RowError(f"HTTP {response.status_code}: {response.text[:200]}")
    return seconds, [(p["title"], int(p["start"])) for p in passages]


def _plan(bench: Bench, sources: int, characters: int) -> list[str]:
    size = f"{sources} sources, {_millions(characters)} characters"
    return bench.plan(
        {
            "retrieve": (
                f"retrieveKnowledge, {size}, varied queries, RUNTIME key",
                f"≥{READ_RATIO:g}{TIMES} of bm25s on Starlette",
            ),
            "retrieve-build": (
                "index build: a cold retrieveKnowledge ÷ bm25s tokenize + index",
                f"≤{BUILD_RATIO:g}{TIMES} of bm25s",
            ),
            "retrieve-rss": ("server RSS per million characters indexed", "— (reported)"),
        }
    )


def run(bench: Bench, sources: int, characters: int) -> None:
    """The retrieval rows, with their own workspace, knowledge bases and servers."""
    slots = _plan(bench, sources, characters)
    try:
        _measure(bench, sources, characters)
    except Exception as exc:
        bench.fail(slots, exc)


def _measure(bench: Bench, count: int, characters: int) -> None:
    sources = retrieval_corpus.sources(count, characters)
    queries = retrieval_corpus.queries()
    keys = retrieval_setup.keys(bench.uri, bench.database)
    warm_sources = retrieval_corpus.sources(1, 2_000, seed="warm-up")
    with servers.api(bench.uri, bench.database, 1, bench.workdir) as setup:
        progress(f"creating {BUILDS} knowledge bases of {count} sources through GraphQL")
        # The same texts each time, as new sources: other ids, so another index to build.
        copies = [
            retrieval_setup.publish(setup.url, keys.admin, f"Handbooks {n + 1}", sources)
            for n in range(BUILDS)
        ]
        warm = retrieval_setup.publish(setup.url, keys.admin, "Warm-up", warm_sources)
    published = copies[0]
    with servers.api(bench.uri, bench.database, 1, bench.workdir) as api:
        target = graphql(api.url, keys.runtime, _requests(published, queries))
        # The code paths and threads of a retrieval warmed on a tiny base, so that the RSS
        # difference below is the large index itself.
        _ask(graphql(api.url, keys.runtime, []), _requests(warm, queries[:1])[0])
        before = servers.tree_rss_bytes(api.process.pid)
        with servers.RssSampler(api.process.pid) as sampler:
            first, api_found = _ask(target, target.requests[0])
        after = servers.tree_rss_bytes(api.process.pid)
        colds = [first] + [_ask(target, _requests(copy, queries[:1])[0])[0] for copy in copies[1:]]
        # Each copy's index is kept too: what they add is held, not a build's passing peak.
        held = servers.tree_rss_bytes(api.process.pid)
        bench.alive(api)
        with servers.retrieval_baseline(count, characters, bench.workdir) as base:
            raw = Target(base.url, _baseline_requests(queries))
            built = httpx.get(f"{base.url}/build", timeout=30.0).json()
            _, base_found = _ask(raw, raw.requests[0])
            bench.compare_read("retrieve", api, target, Raw("/retrieve", raw), READ_RATIO)
        row = bench.rows["retrieve"]
        # Equal scores come in chunk order from the API, in any order from bm25s.
        if sorted(api_found) != sorted(base_found):
            row.add_note("the first query's passages differ from bm25s's")
        if row.error is None:
            # The same requests on a base of one 2,000-character source: what the API costs
            # around a search, for reading the ratio.
            small = bench.read(graphql(api.url, keys.runtime, _requests(warm, queries)))
            row.add_note(f"on a 1-source base: {small.rps:,.0f} req/s")
            # Dify's door to the same base (as it is now): a plain route, no GraphQL.
            dify = graphql(api.url, keys.runtime, _dify_requests(published, queries))
            plain = bench.read(dataclasses.replace(dify, error_markers=('"error_code"',)))
            row.add_note(f"POST /retrieval, same base: {plain.rps:,.0f} req/s")
    library = [float(seconds) for seconds in built["library_seconds"]]
    code = statistics.median(float(seconds) for seconds in built["api_code_seconds"])
    chunks = int(built["chunks"])
    bench.row("retrieve-build", lambda: _build_row(colds, library, code, chunks))
    rss = _rss_row(before, after, max(sampler.peak, after), characters, (held, BUILDS))
    rss.add_note(f"the cache counts one as {int(built['size_bytes']) / MIB:.0f} MB")
    bench.row("retrieve-rss", lambda: rss)


def _seconds(runs: list[float]) -> str:
    return "/".join(f"{run:.2f}" for run in runs) + " s"


def _build_row(api_runs: list[float], library_runs: list[float], code: float, chunks: int) -> Row:
    ratio = statistics.median(api_runs) / statistics.median(library_runs)
    row = Row("", ratio=ratio, shown=f"{ratio:.2f}{TIMES}", met=ratio <= BUILD_RATIO)
    row.add_note(
        f"medians: API {_seconds(api_runs)} (read, cut into {chunks:,} chunks, tokenize, index,"
        f" 1 query), bm25s {_seconds(library_runs)}; API's bm25.build alone {code:.2f} s"
    )
    return row


def _rss_row(before: int, after: int, peak: int, characters: int, held: tuple[int, int]) -> Row:
    per_million = (after - before) / MIB / (characters / 1e6)
    row = Row("", shown=f"{per_million:.1f} MB")
    row.add_note(
        f"{before / MIB:.0f} MB before, {after / MIB:.0f} MB after,"
        f" {peak / MIB:.0f} MB peak while building; {held[0] / MIB:.0f} MB with {held[1]} such"
        " indexes kept"
    )
    return row

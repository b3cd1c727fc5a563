"""The retrieval baseline: bm25s's own index over the same chunks, one query per request.

Run as `uvicorn bench.retrieval_baseline:app` with BENCH_KNOWLEDGE_SOURCES and
BENCH_KNOWLEDGE_CHARACTERS set. At start it makes the bench's sources
(bench/retrieval_corpus.py, the same text the API's knowledge base holds), cuts them with
the API's chunking and indexes each chunk with its title, as the API does, so that both
answer a query from the same index; then it builds the library's own way too (bm25s's
tokenizer and stemmer, then `index`), to time it for the "index build" row.

    POST /retrieve   {"query", "topK"}: the best chunks as JSON, as bm25s ranks them
    GET  /build      how long the library's own builds of those chunks took (BUILDS of them),
                     and the API's build code alone (app.library.retrieval.bm25.build)
"""

import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import bm25s
import Stemmer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.library.retrieval import bm25
from app.library.retrieval.bm25 import K1, B
from app.library.retrieval.chunking import chunk
from app.library.retrieval.engine import SourceText
from app.library.retrieval.tokens import tokens, tokens_of
from bench import retrieval_corpus

BUILDS = 3  # the row takes the median: one build on a shared machine is too noisy


@dataclass(frozen=True)
class Chunk:
    source: int
    title: str
    start: int
    text: str


def _chunks(sources: list[retrieval_corpus.Source]) -> list[Chunk]:
    return [
        Chunk(number, source.title, part.start, part.text)
        for number, source in enumerate(sources)
        for part in chunk(source.text)
    ]


def _engine(corpus: Any) -> bm25s.BM25:
    engine = bm25s.BM25(k1=K1, b=B, method="lucene")
    engine.index(corpus, show_progress=False)
    return engine


def library_build(searched: list[str]) -> float:
    """Seconds for bm25s to tokenize (English stemmer, no stopwords) and index `searched`."""
    started = time.perf_counter()
    stemmer = Stemmer.Stemmer("english")
    _engine(bm25s.tokenize(searched, stopwords=None, stemmer=stemmer, show_progress=False))
    return time.perf_counter() - started


def api_build(sources: list[retrieval_corpus.Source]) -> tuple[float, int]:
    """Seconds for the API's engine to build from the texts (chunking and its tokenizer too),
    and the size its cache counts the index as."""
    texts = [SourceText(str(n), "", s.text, s.title) for n, s in enumerate(sources)]
    started = time.perf_counter()
    index = bm25.build(texts)
    return time.perf_counter() - started, index.size_bytes


async def retrieve(request: Request) -> Response:
    asked = json.loads(await request.body())
    engine: bm25s.BM25 = request.app.state.engine
    chunks: list[Chunk] = request.app.state.chunks
    ids = engine.get_tokens_ids(tokens(asked["query"]))
    found: list[dict[str, Any]] = []
    if ids:
        documents, scores = engine.retrieve(
            [ids], k=int(asked.get("topK", 5)), show_progress=False, n_threads=0
        )
        for position, score in zip(documents[0], scores[0], strict=True):
            if score > 0:
                hit = chunks[int(position)]
                found.append(
                    {
                        "source": hit.source,
                        "title": hit.title,
                        "text": hit.text,
                        "start": hit.start,
                        "score": float(score),
                    }
                )
    return Response(json.dumps({"passages": found}), media_type="application/json")


async def build(request: Request) -> Response:
    return JSONResponse(request.app.state.build)


async def readyz(request: Request) -> Response:
    return JSONResponse({"status": "ready"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    count = int(os.environ["BENCH_KNOWLEDGE_SOURCES"])
    characters = int(os.environ["BENCH_KNOWLEDGE_CHARACTERS"])
    sources = retrieval_corpus.sources(count, characters)
    chunks = _chunks(sources)
    searched = [f"{c.title}\n{c.text}" for c in chunks]
    app.state.chunks = chunks
    app.state.engine = _engine(tokens_of(searched))
    builds = [library_build(searched) for _ in range(BUILDS)]
    code = [api_build(sources) for _ in range(BUILDS)]
    app.state.build = {
        "chunks": len(chunks),
        "library_seconds": builds,
        "api_code_seconds": [seconds for seconds, _ in code],
        "size_bytes": code[0][1],
    }
    yield


app = Starlette(
    routes=[
        Route("/retrieve", retrieve, methods=["POST"]),
        Route("/build", build),
        Route("/readyz", readyz),
    ],
    lifespan=lifespan,
)

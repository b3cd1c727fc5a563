"""What the rest of the API needs of a search engine, so that another can replace BM25 here.

An engine builds an Index from source texts and answers queries on it. Anything keeping
the same promises fits: scores between 0 and 1, the same query on the same content scoring
the same, hits best first. A search service of the database's deployment (Atlas Search) or
OpenSearch would be one Index per key whose `search` sends the query there.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from app.library.retrieval.chunking import Chunk


@dataclass(frozen=True)
class SourceText:
    """One source's text, as the text store holds it under `text_hash`, and its title."""

    source_id: str
    text_hash: str
    text: str
    # Searched with every chunk of the text: a question often names what a source is about.
    # A source's title never changes (a base replaces sources, never edits one), so the
    # (source id, text hash) key still names all an index holds.
    title: str = ""


@dataclass(frozen=True)
class Passage:
    """A chunk of one source."""

    source_id: str
    chunk: Chunk


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # 0 .. 1, higher is better


class Index(Protocol):
    @property
    def size_bytes(self) -> int:
        """An estimate of the memory the index holds, for the cache's bound."""
        ...

    def search(self, query: str, top_k: int) -> list[Hit]:
        """At most `top_k` passages sharing a word with `query`, best first; ties in order."""
        ...


# Builds an index of the texts, in the order given; called in a worker thread.
Engine = Callable[[list[SourceText]], Index]

"""Indexes kept per process, least recently used evicted beyond a memory bound.

An index is keyed by what it searches: the sorted (source id, text hash) pairs of the
sources, which a pinned definition and a knowledge base as it is now both name. A key's
content never changes (a hash names one text), so a kept index is never stale; a base
that changes gets a new key, and its old index ages out. Indexes are built in a worker
thread, off the event loop, and callers asking for a key being built wait for that one
build. Nothing here is the only copy of anything: an evicted index is rebuilt from the
texts the database holds.
"""

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from app.library.retrieval import bm25
from app.library.retrieval.engine import Engine, Index, SourceText

Key = tuple[tuple[str, str], ...]  # sorted (source id, text hash)
Load = Callable[[], Awaitable[list[SourceText]]]
DEFAULT_MAX_BYTES = 256 * 1024 * 1024


def _retrieved(task: "asyncio.Task[Index]") -> None:
    # A build whose every caller gave up must not log "exception was never retrieved".
    if not task.cancelled():
        task.exception()


class IndexCache:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, engine: Engine = bm25.build) -> None:
        self.max_bytes = max_bytes
        self.engine = engine
        self._kept: OrderedDict[Key, Index] = OrderedDict()
        self._kept_bytes = 0
        self._building: dict[Key, asyncio.Task[Index]] = {}

    @property
    def kept_bytes(self) -> int:
        return self._kept_bytes

    def __contains__(self, key: Key) -> bool:
        return key in self._kept

    def building(self, key: Key) -> bool:
        return key in self._building

    async def get(self, key: Key, load: Load) -> Index:
        """The index of `key`, built from what `load` returns unless kept or being built."""
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            return kept
        task = self._building.get(key)
        if task is None:
            task = self._building[key] = asyncio.create_task(self._build(key, load))
            task.add_done_callback(_retrieved)
        # Shielded: a caller that gives up (a client gone) leaves the build to the others.
        return await asyncio.shield(task)

    async def _build(self, key: Key, load: Load) -> Index:
        try:
            texts = await load()
            index = await asyncio.to_thread(self.engine, texts)
            self._keep(key, index)
            return index
        finally:
            del self._building[key]

    def _keep(self, key: Key, index: Index) -> None:
        if index.size_bytes > self.max_bytes:
            return  # it would evict everything and still not fit: served, not kept
        self._kept[key] = index
        self._kept_bytes += index.size_bytes
        self._evict()

    def bound(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._evict()

    def _evict(self) -> None:
        while self._kept_bytes > self.max_bytes:
            _, evicted = self._kept.popitem(last=False)
            self._kept_bytes -= evicted.size_bytes

    def clear(self) -> None:
        self._kept.clear()
        self._kept_bytes = 0


# The process's indexes; the app sets the bound from RETRIEVAL_CACHE_MB when it starts.
indexes = IndexCache()


def configure(max_megabytes: int) -> None:
    indexes.bound(max_megabytes * 1024 * 1024)

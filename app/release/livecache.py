"""Production configurations held in memory for call starts, kept current by publish news.

A persona's production is read from the database once, then served from here. News of
every publish, rollback and delete comes from the process's change stream (any process's
writes) and, at once, from writes made on this process, so the process that published
reads its own write. A fill that raced with any news is served but not kept, and news
never replaces a newer version with an older one: nothing older than the news already
heard is served after it.

While the database is unreachable, what is held is served stale (stale-if-error): a call
start gets the production this process last knew, told since when it may be behind. When
only the change stream fails, the database answering, it is read afresh instead. When the
stream resumes everything held is dropped, so nothing missed meanwhile is served.
"""

import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from beanie import PydanticObjectId

from app.personas.documents import Persona, Production
from app.platform.clock import utcnow
from app.platform.database import is_unavailable

DEFAULT_SIZE = 10_000

_caches: "weakref.WeakSet[ProductionCache]" = weakref.WeakSet()


@dataclass(frozen=True)
class _Entry:
    workspace_id: PydanticObjectId
    production: Production | None

    @property
    def version(self) -> int:
        return self.production.version if self.production else 0


def _never() -> datetime | None:
    return None


class ProductionCache:
    def __init__(
        self, size: int = DEFAULT_SIZE, down_since: Callable[[], datetime | None] = _never
    ) -> None:
        self.size = size
        self.down_since = down_since  # since when the database is believed gone; None: it answers
        self.hits = 0
        self.misses = 0
        # Since when news may have been missed (the change stream is down); None: current.
        self.stale_since: datetime | None = None
        self._entries: OrderedDict[PydanticObjectId, _Entry] = OrderedDict()
        self._news = 0

    def open(self) -> None:
        """Start hearing this process's own writes."""
        _caches.add(self)

    def close(self) -> None:
        _caches.discard(self)
        self.clear()

    async def get(
        self, workspace_id: PydanticObjectId, persona_id: PydanticObjectId
    ) -> Production | None:
        """The persona's production, if the persona is in this workspace and was published."""
        return (await self.read(workspace_id, persona_id))[0]

    async def read(
        self, workspace_id: PydanticObjectId, persona_id: PydanticObjectId
    ) -> tuple[Production | None, datetime | None]:
        """`get`, and since when the answer may be behind the news (None: it is current)."""
        entry = self._entries.get(persona_id)
        stale_since, down_since = self.stale_since, self.down_since()
        if entry is not None and (stale_since is None or down_since is not None):
            self.hits += 1
            self._entries.move_to_end(persona_id)
            # Whichever was seen first is when news could first have been missed.
            stale_since = min(filter(None, (stale_since, down_since)), default=None)
        else:
            self.misses += 1
            try:
                entry = await self._load(workspace_id, persona_id)
            except Exception as error:
                if entry is None or stale_since is None or not is_unavailable(error):
                    raise
            else:
                stale_since = None
            if entry is None:
                return None, None
        if entry.workspace_id != workspace_id:
            return None, None
        return entry.production, stale_since

    async def _load(
        self, workspace_id: PydanticObjectId, persona_id: PydanticObjectId
    ) -> _Entry | None:
        news = self._news
        found = await Persona.get_pymongo_collection().find_one(
            {"workspace_id": workspace_id, "_id": persona_id}, {"production": 1}
        )
        if found is None:
            return None
        production = found.get("production")
        entry = _Entry(workspace_id, Production.model_validate(production) if production else None)
        if news == self._news:
            self._keep(persona_id, entry)
        return entry

    def learn(self, persona: Persona) -> None:
        """News: this is the persona as stored after a publish or rollback."""
        assert persona.id is not None
        self._news += 1
        entry = _Entry(persona.workspace_id, persona.production)
        known = self._entries.get(persona.id)
        if known is None or known.version <= entry.version:
            self._keep(persona.id, entry)

    def forget(self, persona_id: PydanticObjectId) -> None:
        """News: the persona is gone."""
        self._news += 1
        self._entries.pop(persona_id, None)

    def mark_stale(self) -> None:
        """The change stream failed: keep what is held, to serve only if the database is away."""
        if self.stale_since is None:
            self.stale_since = utcnow()

    def caught_up(self) -> None:
        """The change stream follows again: drop everything held, as news may have been missed."""
        self.clear()
        self.stale_since = None

    def clear(self) -> None:
        self._news += 1
        self._entries.clear()

    def _keep(self, persona_id: PydanticObjectId, entry: _Entry) -> None:
        self._entries[persona_id] = entry
        self._entries.move_to_end(persona_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


def learn_here(persona: Persona) -> None:
    """Tell this process's caches of a publish it just made."""
    for cache in list(_caches):
        cache.learn(persona)


def forget_here(persona_id: PydanticObjectId) -> None:
    """Tell this process's caches of a delete it just made."""
    for cache in list(_caches):
        cache.forget(persona_id)

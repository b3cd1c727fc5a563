"""What each environment serves, held in memory for call starts, kept current by news.

What an environment serves of a persona (its values, deployed version, rollout candidate) is
read from the database once, then served from here. News of every deployment change,
environment change and delete comes from the process's change stream (any process's writes)
and, at once, from writes made on this process, so the process that published reads its own
write. News drops what it concerns, to be read afresh; a fill that raced with any news is
served but not kept: nothing older than the news already heard is served after it.

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

from app.personas.documents import Persona
from app.platform.clock import utcnow
from app.platform.database import is_unavailable
from app.release.serving import Served, read_served

DEFAULT_SIZE = 10_000

_caches: "weakref.WeakSet[ServedCache]" = weakref.WeakSet()


@dataclass(frozen=True)
class _Entry:
    workspace_id: PydanticObjectId
    served: Served | None  # None: no such persona in the workspace


_Key = tuple[PydanticObjectId, str]  # persona, environment


def _never() -> datetime | None:
    return None


class ServedCache:
    def __init__(
        self, size: int = DEFAULT_SIZE, down_since: Callable[[], datetime | None] = _never
    ) -> None:
        self.size = size
        self.down_since = down_since  # since when the database is believed gone; None: it answers
        self.hits = 0
        self.misses = 0
        # Since when news may have been missed (the change stream is down); None: current.
        self.stale_since: datetime | None = None
        self._entries: OrderedDict[_Key, _Entry] = OrderedDict()
        self._news = 0

    def open(self) -> None:
        """Start hearing this process's own writes."""
        _caches.add(self)

    def close(self) -> None:
        _caches.discard(self)
        self.clear()

    async def read(
        self, workspace_id: PydanticObjectId, persona_id: PydanticObjectId, environment: str
    ) -> tuple[Served | None, datetime | None]:
        """What `environment` serves of the persona (None: no such persona in the workspace),
        and since when the answer may be behind the news (None: it is current).

        Raises UnknownEnvironment, not kept: a missing environment is asked about anew.
        """
        key = (persona_id, environment)
        entry = self._entries.get(key)
        stale_since, down_since = self.stale_since, self.down_since()
        if entry is not None and (stale_since is None or down_since is not None):
            self.hits += 1
            self._entries.move_to_end(key)
            # Whichever was seen first is when news could first have been missed.
            stale_since = min(filter(None, (stale_since, down_since)), default=None)
        else:
            self.misses += 1
            try:
                entry = await self._load(workspace_id, key)
            except Exception as error:
                if entry is None or stale_since is None or not is_unavailable(error):
                    raise
            else:
                stale_since = None
        if entry.workspace_id != workspace_id:
            return None, None
        return entry.served, stale_since

    async def _load(self, workspace_id: PydanticObjectId, key: _Key) -> _Entry:
        news = self._news
        entry = _Entry(workspace_id, await read_served(workspace_id, *key))
        if news == self._news:
            self._keep(key, entry)
        return entry

    def learn(self, persona: Persona) -> None:
        """News: what the persona's environments serve changed."""
        assert persona.id is not None
        self.forget(persona.id)

    def forget(self, persona_id: PydanticObjectId) -> None:
        """News: the persona changed or is gone."""
        self._news += 1
        for key in [key for key in self._entries if key[0] == persona_id]:
            del self._entries[key]

    def forget_environment(self, workspace_id: PydanticObjectId, name: str) -> None:
        """News: an environment's values changed, or it is gone."""
        self._news += 1
        for key, entry in list(self._entries.items()):
            if key[1] == name and entry.workspace_id == workspace_id:
                del self._entries[key]

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

    def _keep(self, key: _Key, entry: _Entry) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
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


def forget_environment_here(workspace_id: PydanticObjectId, name: str) -> None:
    """Tell this process's caches of an environment change it just made."""
    for cache in list(_caches):
        cache.forget_environment(workspace_id, name)

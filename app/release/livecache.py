"""What each environment serves, held in memory for call starts, kept current by news.

What an environment serves of a persona (its values, deployed version, rollout candidate) is
read from the database once, then served from here. News of every deployment change,
environment change and delete comes from the process's change stream (any process's writes)
and, at once, from writes made on this process, so the process that published reads its own
write. News drops what it concerns, to be read afresh; a fill older than news heard meanwhile
(by deployment serial) is served but not kept: nothing older than the news already heard is
served after it.

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
        # Counts the news that drops whatever it may concern (deletes, environment changes).
        self._news = 0
        # The newest deployment serial heard of, per persona and environment.
        self._heard: OrderedDict[_Key, int] = OrderedDict()

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
        if entry is not None and entry.served is None and entry.workspace_id != workspace_id:
            entry = None  # "not in that workspace" says nothing of this one
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
        # Kept unless news it may not have seen came meanwhile.
        heard = self._heard.get(key)
        current = heard is None or (entry.served is not None and entry.served.serial >= heard)
        if news == self._news and current:
            self._keep(key, entry)
        return entry

    def learn(self, persona_id: PydanticObjectId, environment: str, serial: int) -> None:
        """News: what `environment` serves of the persona changed, its deployment now at
        `serial`. What is held from before is dropped, to be read afresh; news that is late
        (what is held already has it) changes nothing."""
        key = (persona_id, environment)
        self._heard[key] = max(serial, self._heard.get(key, 0))
        self._heard.move_to_end(key)
        while len(self._heard) > self.size:
            self._heard.popitem(last=False)
        entry = self._entries.get(key)
        if entry is not None and (entry.served is None or entry.served.serial < serial):
            del self._entries[key]

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


def learn_here(persona_id: PydanticObjectId, environment: str, serial: int) -> None:
    """Tell this process's caches of a deployment change it just made."""
    for cache in list(_caches):
        cache.learn(persona_id, environment, serial)


def forget_here(persona_id: PydanticObjectId) -> None:
    """Tell this process's caches of a delete it just made."""
    for cache in list(_caches):
        cache.forget(persona_id)


def forget_environment_here(workspace_id: PydanticObjectId, name: str) -> None:
    """Tell this process's caches of an environment change it just made."""
    for cache in list(_caches):
        cache.forget_environment(workspace_id, name)

"""Who a key is, remembered for about a second, and the sockets to close once it is nobody.

A request's key is looked up in the database at most once a second per process: the
principal it grants is cached under the SHA-256 of the presented key (never the key
itself). The short life keeps revocation prompt everywhere: on the process that revokes
a key the entry is dropped at once; on the others it expires within TTL_SECONDS.

Refused keys are cached apart, briefly, in a smaller map, so a flood of random keys
cannot push out the principals of good ones; each distinct key is looked up by one
request at a time, and no more than MAX_LOOKUPS lookups are under way at once.

While the database is unreachable a key it granted before is still honoured (stale-if-error,
retried once a TTL), so call starts keep being answered; no key can be revoked meanwhile.

An open websocket was authenticated once, at connection_init, so a KeyWatch re-checks
the key of every open socket through the cache and closes the sockets of revoked keys.
"""

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from typing import Protocol

from beanie import PydanticObjectId

from app.access.principal import Principal
from app.platform.database import is_unavailable

logger = logging.getLogger(__name__)

TTL_SECONDS = 1.0
MAX_PRINCIPALS = 10_000
MAX_REFUSED = 1_000
MAX_LOOKUPS = 32
WATCH_INTERVAL_SECONDS = 0.5

Lookup = Callable[[], Awaitable[Principal | None]]


@dataclass(frozen=True, slots=True)
class _Granted:
    principal: Principal
    expires: float


@dataclass(slots=True)
class _Flight:
    lock: asyncio.Lock
    waiting: int = 0


class _Miss:
    """Nothing cached: look the key up."""


_MISS = _Miss()


def digest(presented: str) -> str:
    return hashlib.sha256(presented.encode()).hexdigest()


class PrincipalCache:
    """A bounded LRU of principals by key digest, each valid for `ttl` seconds."""

    def __init__(
        self,
        ttl: float = TTL_SECONDS,
        max_principals: int = MAX_PRINCIPALS,
        max_refused: int = MAX_REFUSED,
        max_lookups: int = MAX_LOOKUPS,
    ) -> None:
        self.ttl = ttl
        self.max_principals = max_principals
        self.max_refused = max_refused
        self.max_lookups = max_lookups
        self._granted: OrderedDict[str, _Granted] = OrderedDict()
        self._refused: OrderedDict[str, float] = OrderedDict()  # digest -> expiry
        self._flights: dict[str, _Flight] = {}
        self._forgotten = 0  # bumped by forget(): a lookup begun before it is not kept
        self._limit: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    async def principal(self, presented: str, lookup: Lookup) -> Principal | None:
        """The cached principal of `presented`, else the one `lookup` finds (None: refused)."""
        key = digest(presented)
        cached = self._cached(key)
        if not isinstance(cached, _Miss):
            return cached
        with self._flight(key) as lock:
            async with lock:
                cached = self._cached(key)  # another request may just have looked it up
                if not isinstance(cached, _Miss):
                    return cached
                forgotten = self._forgotten
                try:
                    async with self._lookups():
                        found = await lookup()
                except Exception as error:
                    stale = self._granted.get(key)
                    if stale is None or not is_unavailable(error):
                        raise
                    found = stale.principal
                if forgotten == self._forgotten:
                    self._keep(key, found)
                return found

    def forget(self, key_id: PydanticObjectId) -> None:
        """Drop every principal of this key, and any lookup of it now under way."""
        self._forgotten += 1
        for key in [k for k, entry in self._granted.items() if entry.principal.key_id == key_id]:
            del self._granted[key]

    def issued(self, presented: str) -> None:
        """A key was just made: a refusal of the same text, however unlikely, is stale."""
        self._refused.pop(digest(presented), None)

    def _cached(self, key: str) -> Principal | _Miss | None:
        now = time.monotonic()
        granted = self._granted.get(key)
        if granted is not None and granted.expires > now:
            self._granted.move_to_end(key)
            return granted.principal
        # An expired grant stays (bounded by the LRU) for a lookup that finds no database.
        refused = self._refused.get(key)
        if refused is not None:
            if refused > now:
                return None
            del self._refused[key]
        return _MISS

    def _keep(self, key: str, found: Principal | None) -> None:
        expires = time.monotonic() + self.ttl
        if found is None:
            self._granted.pop(key, None)  # an expired grant must not outlive its key
            self._refused[key] = expires
            self._refused.move_to_end(key)
            while len(self._refused) > self.max_refused:
                self._refused.popitem(last=False)
            return
        self._refused.pop(key, None)
        self._granted[key] = _Granted(found, expires)
        self._granted.move_to_end(key)
        while len(self._granted) > self.max_principals:
            self._granted.popitem(last=False)

    @contextmanager
    def _flight(self, key: str) -> Iterator[asyncio.Lock]:
        flight = self._flights.get(key)
        if flight is None:
            flight = self._flights[key] = _Flight(asyncio.Lock())
        flight.waiting += 1
        try:
            yield flight.lock
        finally:
            flight.waiting -= 1
            if flight.waiting == 0:
                del self._flights[key]

    @asynccontextmanager
    async def _lookups(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        if self._limit is None or self._limit[0] is not loop:
            self._limit = (loop, asyncio.Semaphore(self.max_lookups))
        async with self._limit[1]:
            yield


principals = PrincipalCache()


class Watched(Protocol):
    """An open socket: the authorization it was opened with, and how to close it."""

    @property
    def authorization(self) -> str: ...

    async def revoke(self) -> None: ...


class KeyWatch:
    """Closes the open sockets whose key was revoked, through whichever process.

    Every `interval` seconds each distinct key among the open sockets is checked through
    `check` (so through the cache: one lookup a second per key, however many sockets).
    A failed check (the database is away) leaves the sockets open.
    """

    def __init__(
        self,
        check: Callable[[str], Awaitable[Principal | None]],
        interval: float = WATCH_INTERVAL_SECONDS,
    ) -> None:
        self.check = check
        self.interval = interval
        self._sockets: dict[Watched, None] = {}  # insertion-ordered set
        self._task: asyncio.Task[None] | None = None
        self._stopped = False
        self._failing = False  # warn once per outage, not twice a second

    def watch(self, socket: Watched) -> None:
        if self._stopped:
            return
        self._sockets[socket] = None
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="api-key-watch")

    def unwatch(self, socket: Watched) -> None:
        self._sockets.pop(socket, None)

    async def stop(self) -> None:
        self._stopped = True
        self._sockets.clear()
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def check_all(self) -> None:
        by_key: dict[str, list[Watched]] = {}
        for socket in self._sockets:
            by_key.setdefault(socket.authorization, []).append(socket)
        await asyncio.gather(*(self._check(key, sockets) for key, sockets in by_key.items()))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.check_all()

    async def _check(self, authorization: str, sockets: list[Watched]) -> None:
        try:
            principal = await self.check(authorization)
        except Exception as error:
            if not self._failing:
                logger.warning("Could not re-check the API key of open sockets: %r", error)
            self._failing = True
            return
        self._failing = False
        if principal is not None:
            return
        for socket in sockets:
            if socket not in self._sockets:
                continue  # closed meanwhile
            self.unwatch(socket)
            try:
                await socket.revoke()
            except Exception as error:
                logger.warning("Could not close a socket whose API key was revoked: %r", error)

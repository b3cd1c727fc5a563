"""Whether the database answers, kept by one background ping, so requests never wait to ask.

/readyz and /healthz read this state instead of pinging, and requests made while the
database is known to be down fail fast (see app.platform.outage) instead of each waiting
for the driver to give up.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime

from app.platform.clock import utcnow
from app.platform.database import MongoDatabase, is_reachable

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.5
PING_TIMEOUT_SECONDS = 1.0
# A busy database may miss one ping; requests that find it gone say so at once (failed()).
MISSES_BEFORE_DOWN = 2

# When the request being served began (monotonic); set by app.platform.outage.
_began: ContextVar[float | None] = ContextVar("request_began", default=None)


@contextlib.contextmanager
def request_begins() -> Iterator[None]:
    """Within: a request that began now, so that the monitor can date what it reports."""
    token = _began.set(time.monotonic())
    try:
        yield
    finally:
        _began.reset(token)


class DatabaseMonitor:
    def __init__(
        self,
        database: MongoDatabase,
        interval: float = INTERVAL_SECONDS,
        timeout: float = PING_TIMEOUT_SECONDS,
    ) -> None:
        self.database = database
        self.interval = interval
        self.timeout = timeout
        self.down_since: datetime | None = None  # wall clock, for people and responses
        self._down_at: float | None = None  # monotonic, for durations
        self._back_at: float | None = None  # monotonic, when a ping last saw it come back
        self._misses = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def reachable(self) -> bool:
        return self._down_at is None

    def down_for(self) -> float:
        """Seconds since the database stopped answering; 0 while it answers."""
        return 0.0 if self._down_at is None else time.monotonic() - self._down_at

    def failed(self) -> None:
        """A request found the database unreachable: believe it until the next ping answers.

        Unless the request began before a ping saw the database come back: what it met was
        the outage that ended, and the ping is the newer news. Believed, such requests would
        declare the outage again each time it ends, and keep the requests after them on the
        outage's short limit, which a loaded database misses, so it never ends for them.
        """
        began = _began.get()
        if began is not None and self._back_at is not None and began < self._back_at:
            return
        if self._down_at is None:
            self._down_at, self.down_since = time.monotonic(), utcnow()
            logger.error("the database is unreachable; requests that need it get 503")

    def answered(self) -> None:
        if self._down_at is not None:
            logger.warning("the database answers again after %.1fs", self.down_for())
            self._down_at = self.down_since = None
            self._back_at = time.monotonic()

    async def check(self) -> bool:
        reachable = await is_reachable(self.database, self.timeout)
        self._misses = 0 if reachable else self._misses + 1
        if reachable:
            self.answered()
        elif self._misses >= MISSES_BEFORE_DOWN:
            self.failed()
        return reachable

    def start(self) -> None:
        self._stopping = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="database-monitor")

    async def stop(self) -> None:
        # Not cancelled mid-ping: a server selection cancelled on Python 3.11 can hang for good
        # (asyncio.wait_for inside the driver), which would hang the shutdown with it.
        if self._task is None:
            return
        self._stopping.set()
        await asyncio.wait({self._task}, timeout=self.timeout + 1.0)
        if not self._task.done():
            self._task.cancel()
        self._task = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            await self.check()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)

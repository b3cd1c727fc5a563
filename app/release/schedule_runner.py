"""The scheduled-publish runner, one per API process: it runs every due schedule once.

It sleeps until the earliest moment a PENDING schedule can be claimed (its `at`, or the end
of a lease a dead process left), at most `longest_sleep`, and wakes early when a schedule is
made: by this process (`wake_here`) or by another (a change stream on schedule inserts). So
a schedule runs within a moment of `at` and an idle runner asks the database about twice a
minute. Without change streams (a standalone mongod) another process's schedule could come
due unseen, so the sleep is then at most BLIND_SLEEP, which keeps the 2 s promise.
"""

import asyncio
import contextlib
import logging
from datetime import timedelta

from pymongo.errors import OperationFailure, PyMongoError

from app.platform.clock import utcnow
from app.release.schedule_documents import ScheduledPublish
from app.release.schedule_runs import claim_due, next_claimable, run_claimed

logger = logging.getLogger(__name__)

LONGEST_SLEEP = 30.0  # seconds: how stale the runner's view may grow with the news working
BLIND_SLEEP = 1.0  # seconds: the same while no change stream tells it of new schedules
SHORTEST_SLEEP = 0.05  # never a busy loop, whatever the clocks say
RETRY_SECONDS = 1.0
_NO_CHANGE_STREAMS = {40573, 136}  # replica-set-only stage; change streams disabled

_runners: set["ScheduleRunner"] = set()


def wake_here() -> None:
    """Tell this process's runners that a schedule was just made."""
    for runner in list(_runners):
        runner.wake()


class ScheduleRunner:
    def __init__(
        self,
        lease: timedelta,
        pause_after_claim: float = 0.0,
        longest_sleep: float = LONGEST_SLEEP,
    ) -> None:
        self.lease = lease
        self.pause_after_claim = pause_after_claim  # tests: a window to kill the process in
        self.longest_sleep = longest_sleep
        self.hearing = False  # whether the change stream is open
        self._woken = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def wake(self) -> None:
        self._woken.set()

    async def start(self) -> None:
        _runners.add(self)
        self._tasks = [
            asyncio.create_task(self._follow(), name="schedule-news"),
            asyncio.create_task(self._run(), name="schedule-runner"),
        ]

    async def stop(self) -> None:
        _runners.discard(self)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run_due(self) -> int:
        """Run every schedule due now, one claim at a time; how many this process claimed."""
        claimed = 0
        while (schedule := await claim_due(utcnow(), self.lease)) is not None:
            claimed += 1
            if self.pause_after_claim:
                await asyncio.sleep(self.pause_after_claim)
            await run_claimed(schedule)
        return claimed

    async def _sleep_for(self) -> float:
        longest = self.longest_sleep if self.hearing else min(self.longest_sleep, BLIND_SLEEP)
        claimable = await next_claimable()
        if claimable is None:
            return longest
        return max(SHORTEST_SLEEP, min(longest, (claimable - utcnow()).total_seconds()))

    async def _run(self) -> None:
        while True:
            self._woken.clear()  # a wake while this round runs makes the next one start at once
            try:
                await self.run_due()
                delay = await self._sleep_for()
            except PyMongoError:
                delay = RETRY_SECONDS  # the database is away; a claim held meanwhile expires
            except Exception:  # a bug must not stop every schedule of the process
                logger.exception("scheduled publish runner failed a round")
                delay = RETRY_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), delay)

    async def _follow(self) -> None:
        collection = ScheduledPublish.get_pymongo_collection()
        while True:
            try:
                async with await collection.watch(
                    [{"$match": {"operationType": "insert"}}], max_await_time_ms=1000
                ) as stream:
                    self.hearing = True
                    self.wake()  # what was inserted while the stream was closed
                    async for _ in stream:
                        self.wake()
            except OperationFailure as error:
                if error.code in _NO_CHANGE_STREAMS:
                    self.hearing = False
                    return
            except PyMongoError:
                pass
            self.hearing = False
            await asyncio.sleep(RETRY_SECONDS)

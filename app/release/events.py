"""Publish events for subscribers, fed by one change stream per process.

Events come from the database, not from process memory, so a publish made through
any API process reaches the subscribers of every process. Where the database has no
change streams (a standalone mongod) the hub falls back to in-process delivery.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure, PyMongoError

from app.personas.documents import Persona, PersonaVersion
from app.release.deployments import find_deployment
from app.release.documents import PRODUCTION
from app.release.livecache import ServedCache

logger = logging.getLogger(__name__)

QUEUE_SIZE = 100
RETRY_SECONDS = 0.5
_NO_CHANGE_STREAMS = {40573, 136}  # replica-set-only stage; change streams disabled

_local_hubs: set["EventHub"] = set()


@dataclass(frozen=True, eq=False)  # one event is one object: every subscriber gets the same
class PublishEvent:
    version: PersonaVersion
    persona: Persona  # as it was just after the publish

    @property
    def event_id(self) -> str:
        return str(self.version.id)


class SubscriberTooSlow(Exception):
    """A subscriber fell more than QUEUE_SIZE events behind and was dropped."""


@dataclass(eq=False)
class Subscriber:
    queue: asyncio.Queue[PublishEvent] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: bool = False

    def offer(self, event: PublishEvent) -> bool:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            return False
        return True

    async def __aiter__(self) -> AsyncIterator[PublishEvent]:
        while not (self.dropped and self.queue.empty()):
            yield await self.queue.get()
        raise SubscriberTooSlow(
            f"Subscriber dropped: more than {QUEUE_SIZE} events were waiting to be read."
        )


def _news() -> list[dict[str, Any]]:
    versions, personas = PersonaVersion.get_collection_name(), Persona.get_collection_name()
    return [
        {
            "$match": {
                "$or": [
                    {"ns.coll": versions, "operationType": "insert"},
                    {"ns.coll": personas, "operationType": "delete"},
                ]
            }
        }
    ]


class EventHub:
    """Fans out every newly published version to this process's subscribers.

    The same stream keeps `productions` current: publishes and rollbacks (version inserts)
    and deleted personas.
    """

    def __init__(
        self, database: AsyncDatabase[dict[str, Any]], productions: ServedCache | None = None
    ) -> None:
        self.database = database
        self.productions = productions
        self.subscribers: set[Subscriber] = set()
        self.change_streams = True
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="persona-publish-events")
        await self._ready.wait()

    async def stop(self) -> None:
        _local_hubs.discard(self)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @contextlib.contextmanager
    def subscribe(self) -> Any:
        subscriber = Subscriber()
        self.subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self.subscribers.discard(subscriber)

    async def _deliver(self, change: dict[str, Any]) -> None:
        if change["operationType"] == "delete":
            if self.productions is not None:
                self.productions.forget(change["documentKey"]["_id"])
            return
        version = PersonaVersion.model_validate(change["fullDocument"])
        found = await self.database[Persona.get_collection_name()].find_one(
            {"_id": version.persona_id}
        )
        if found is None:
            return
        persona = Persona.model_validate(found)
        if self.productions is not None:
            environment = version.environment or PRODUCTION
            deployment = await find_deployment(
                persona.workspace_id, version.persona_id, environment
            )
            if deployment is not None:
                self.productions.learn(version.persona_id, environment, deployment.serial)
        self.dispatch(PublishEvent(version, persona))

    def dispatch(self, event: "PublishEvent") -> None:
        for subscriber in list(self.subscribers):
            if not subscriber.offer(event):
                self.subscribers.discard(subscriber)
                logger.warning("dropped a subscriber that fell %d events behind", QUEUE_SIZE)

    async def _follow(self) -> None:
        resume_token: Any = None
        failed_at: float | None = None  # when the stream last broke, while it stays broken
        while True:
            opened = False
            try:
                async with await self.database.watch(
                    _news(),
                    resume_after=resume_token,
                    max_await_time_ms=1000,
                ) as stream:
                    opened = True
                    if failed_at is not None:
                        logger.warning(
                            "publish event stream resumed after %.1fs", time.monotonic() - failed_at
                        )
                        failed_at = None
                        if self.productions is not None:
                            self.productions.caught_up()
                    self._ready.set()
                    while stream.alive:
                        change = await stream.try_next()
                        # Kept even when idle, so a resume never replays or skips an event.
                        resume_token = stream.resume_token
                        if change is not None:
                            await self._deliver(change)
            except OperationFailure as exc:
                if exc.code in _NO_CHANGE_STREAMS:
                    logger.warning(
                        "the database has no change streams: publish events reach only the "
                        "subscribers of this process"
                    )
                    self.change_streams = False
                    _local_hubs.add(self)
                    self._ready.set()
                    return
                if not opened and resume_token is not None:
                    # The stream cannot resume where it was (its history is gone): start anew;
                    # the production cache is reloaded all the same.
                    logger.warning("publish event stream cannot resume (code %s)", exc.code)
                    resume_token = None
                elif failed_at is None:
                    logger.warning("publish event stream failed, resuming: %s", exc)
            except PyMongoError as exc:
                if failed_at is None:  # once per outage, not twice a second
                    name = type(exc).__name__
                    logger.warning("publish event stream interrupted, resuming: %s", name)
            if failed_at is None:
                failed_at = time.monotonic()
            if self.productions is not None:
                self.productions.mark_stale()
            self._ready.set()
            await asyncio.sleep(RETRY_SECONDS)


def notify_local(version: PersonaVersion, persona: Persona) -> None:
    """Deliver a publish in-process, for hubs whose database has no change streams."""
    for hub in _local_hubs:
        hub.dispatch(PublishEvent(version, persona))

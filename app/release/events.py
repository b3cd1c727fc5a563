"""Deployment events for subscribers, fed by one change stream per process.

Events come from the database, not from process memory, so a change made through any API
process reaches the subscribers of every process: each change of what an environment serves
(publish, rollback, deploy, rollout step, failed schedule) inserts one DeploymentChange in its
own transaction, and that insert is the event. The same stream carries the news the call-start
cache needs: those changes, deleted personas, and changed or deleted environments. Where the
database has no change streams (a standalone mongod) the hub falls back to in-process delivery.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from beanie import PydanticObjectId
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure, PyMongoError

from app.personas.documents import Persona, PersonaVersion
from app.platform import metrics
from app.release.documents import ChangeKind, DeploymentChange, Environment
from app.release.livecache import ServedCache

logger = logging.getLogger(__name__)

QUEUE_SIZE = 100
RETRY_SECONDS = 0.5
_NO_CHANGE_STREAMS = {40573, 136}  # replica-set-only stage; change streams disabled
PUBLISHING = frozenset({ChangeKind.PUBLISHED, ChangeKind.ROLLED_BACK})

_local_hubs: set["EventHub"] = set()


@dataclass(frozen=True, eq=False)  # one event is one object: every subscriber gets the same
class ChangeEvent:
    change: DeploymentChange
    persona: Persona  # as it was just after the change
    version: PersonaVersion | None = None  # the version a publish or rollback made

    @property
    def event_id(self) -> str:
        return str(self.change.id)


class SubscriberTooSlow(Exception):
    """A subscriber fell more than QUEUE_SIZE events behind and was dropped."""


@dataclass(eq=False)
class Subscriber:
    # None ends the stream: the environment it follows is gone.
    queue: asyncio.Queue[ChangeEvent | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )
    dropped: bool = False
    ended: bool = False
    environment_id: PydanticObjectId | None = None  # set: it ends when that environment goes

    def offer(self, event: ChangeEvent) -> bool:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            return False
        return True

    def end(self) -> None:
        """Finish once what is queued is read."""
        self.ended = True
        with contextlib.suppress(asyncio.QueueFull):  # full: it is read, then ended is seen
            self.queue.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[ChangeEvent]:
        while not (self.ended and self.queue.empty()):
            if self.dropped and self.queue.empty():
                raise SubscriberTooSlow(
                    f"Subscriber dropped: more than {QUEUE_SIZE} events were waiting to be read."
                )
            event = await self.queue.get()
            if event is None:
                return
            yield event


def _news() -> list[dict[str, Any]]:
    changes, versions = DeploymentChange.get_collection_name(), PersonaVersion.get_collection_name()
    personas, environments = Persona.get_collection_name(), Environment.get_collection_name()
    return [
        {
            "$match": {
                "$or": [
                    {"ns.coll": {"$in": [changes, versions]}, "operationType": "insert"},
                    {"ns.coll": personas, "operationType": "delete"},
                    {"ns.coll": environments},
                ]
            }
        }
    ]


class EventHub:
    """Fans out every deployment change to this process's subscribers, and keeps
    `productions` (the call-start cache) current with the same stream."""

    def __init__(
        self, database: AsyncDatabase[dict[str, Any]], productions: ServedCache | None = None
    ) -> None:
        self.database = database
        self.productions = productions
        self.subscribers: set[Subscriber] = set()
        self.change_streams = True
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        # Versions heard, until the change that made them (same transaction, just after) comes.
        self._versions: dict[tuple[Any, int | None], PersonaVersion] = {}

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
    def subscribe(self, environment_id: PydanticObjectId | None = None) -> Iterator[Subscriber]:
        """A subscriber of every change; with `environment_id`, ended when it is deleted."""
        subscriber = Subscriber(environment_id=environment_id)
        self.subscribers.add(subscriber)
        try:
            with metrics.open_subscription():
                yield subscriber
        finally:
            self.subscribers.discard(subscriber)

    async def _deliver(self, change: dict[str, Any]) -> None:
        collection = change["ns"]["coll"]
        if collection == Environment.get_collection_name():
            await self._environment_changed(change)
        elif collection == PersonaVersion.get_collection_name():
            version = PersonaVersion.model_validate(change["fullDocument"])
            if len(self._versions) >= QUEUE_SIZE:  # a change that never came: forget them
                self._versions.clear()
            self._versions[version.persona_id, version.version] = version
        elif change["operationType"] == "delete":
            if self.productions is not None:
                self.productions.forget(change["documentKey"]["_id"])
        else:
            await self._changed(DeploymentChange.model_validate(change["fullDocument"]))

    async def _changed(self, record: DeploymentChange) -> None:
        if self.productions is not None:  # first: nothing read after this is older
            if record.deployment is not None:
                serial = record.deployment.serial
                self.productions.learn(record.persona_id, record.environment, serial)
            else:
                self.productions.forget(record.persona_id)
        made = self._versions.pop((record.persona_id, record.published), None)
        found = await self.database[Persona.get_collection_name()].find_one(
            {"workspace_id": record.workspace_id, "_id": record.persona_id}
        )
        if found is None:
            return  # deleted since: there is no persona left to tell of
        version = None
        if record.kind in PUBLISHING:
            version = made or await self._made_by(record)  # heard with it, but not if resumed
            if version is None:
                return
        self.dispatch(ChangeEvent(record, Persona.model_validate(found), version))

    async def _made_by(self, record: DeploymentChange) -> PersonaVersion | None:
        stored = await self.database[PersonaVersion.get_collection_name()].find_one(
            {"persona_id": record.persona_id, "version": record.published}
        )
        return PersonaVersion.model_validate(stored) if stored is not None else None

    async def _environment_changed(self, change: dict[str, Any]) -> None:
        key = change["documentKey"]["_id"]
        if change["operationType"] == "delete":
            # A delete carries only the _id: drop everything rather than keep a map of names.
            if self.productions is not None:
                self.productions.clear()
            self.environment_gone(key)
            return
        if self.productions is None:
            return
        # Read here, not by the stream's updateLookup: that would look up every update of
        # every collection, before the stream's $match.
        document = change.get("fullDocument") or await self.database[
            Environment.get_collection_name()
        ].find_one({"_id": key})
        if document is None:  # deleted meanwhile: its delete follows
            self.productions.clear()
            return
        self.productions.forget_environment(document["workspace_id"], document["name"])

    def dispatch(self, event: ChangeEvent) -> None:
        for subscriber in list(self.subscribers):
            if not subscriber.offer(event):
                self.subscribers.discard(subscriber)
                logger.warning("dropped a subscriber that fell %d events behind", QUEUE_SIZE)

    def environment_gone(self, environment_id: PydanticObjectId) -> None:
        """End the subscriptions that follow a deleted environment."""
        for subscriber in list(self.subscribers):
            if subscriber.environment_id == environment_id:
                self.subscribers.discard(subscriber)
                subscriber.end()

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


def notify_local_change(
    record: DeploymentChange, persona: Persona, version: PersonaVersion | None = None
) -> None:
    """Deliver a change in-process, for hubs whose database has no change streams."""
    event = ChangeEvent(record, persona, version if record.kind in PUBLISHING else None)
    for hub in _local_hubs:
        hub.dispatch(event)


def notify_local_environment_gone(environment_id: PydanticObjectId) -> None:
    """End in-process the subscriptions on a deleted environment, for hubs without streams."""
    for hub in _local_hubs:
        hub.environment_gone(environment_id)

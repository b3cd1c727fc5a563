"""Running one scheduled publish: claim it, then publish it or record why it cannot run.

Exactly once: a claim is one atomic update of a due, unclaimed PENDING schedule that sets a
lease and a fresh claim token; finishing it (DONE with the publish, or FAILED with its
SCHEDULE_FAILED record) is one transaction conditioned on that token and on PENDING. A
process that dies holding a claim writes nothing, and the schedule is claimable again once
the lease ends; a process that outlived its lease finds its token replaced and writes
nothing either. A cancel that lands first leaves the claim nothing to finish.
"""

import asyncio
import dataclasses
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from beanie import PydanticObjectId
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from app.personas.documents import Persona
from app.personas.reads import find_persona
from app.personas.references import missing, same_pins
from app.platform.clock import utcnow
from app.platform.transactions import run_transaction
from app.release import publishing
from app.release.deployments import Lost, commit, find_deployment, served_version
from app.release.documents import ChangeKind, Deployment, DeploymentChange
from app.release.environments import find_environment
from app.release.events import notify_local_change
from app.release.livecache import learn_here
from app.release.schedule_documents import ScheduledPublish, ScheduleStatus

logger = logging.getLogger(__name__)

PENDING = ScheduleStatus.PENDING.value
# Each lost race means another change to the deployment landed; then plan again from it.
ATTEMPTS = 50


def _collection() -> AsyncCollection[dict[str, Any]]:
    return ScheduledPublish.get_pymongo_collection()


async def claim_due(now: datetime, lease: timedelta) -> ScheduledPublish | None:
    """Claim the longest-due schedule nobody holds, for `lease`; None when none is due."""
    found = await _collection().find_one_and_update(
        # Due and free at once: claimed_until is `at` until claimed, then a lease's end.
        {"status": PENDING, "claimed_until": {"$lte": now}},
        {"$set": {"claimed_until": now + lease, "claim": PydanticObjectId()}},
        sort=[("claimed_until", ASCENDING)],
        return_document=ReturnDocument.AFTER,
    )
    return ScheduledPublish.model_validate(found) if found is not None else None


async def next_claimable() -> datetime | None:
    """When a PENDING schedule is next claimable (due, or its lease over); None: none waits."""
    found = await _collection().find_one(
        {"status": PENDING},
        projection={"claimed_until": True},
        sort=[("claimed_until", ASCENDING)],
    )
    return found["claimed_until"] if found is not None else None


def _holding(schedule: ScheduledPublish) -> dict[str, Any]:
    return {
        "workspace_id": schedule.workspace_id,
        "_id": schedule.id,
        "status": PENDING,
        "claim": schedule.claim,
    }


async def _finish(
    schedule: ScheduledPublish, update: dict[str, Any], session: AsyncClientSession
) -> None:
    """Leave PENDING, if this claim still holds the schedule; else Lost, writing nothing."""
    stored = {**update, "finished_at": utcnow()}
    result = await _collection().update_one(_holding(schedule), {"$set": stored}, session=session)
    if not result.matched_count:
        raise Lost()


async def _still_held(schedule: ScheduledPublish) -> bool:
    return await _collection().find_one(_holding(schedule), projection={"_id": True}) is not None


async def _fail(
    schedule: ScheduledPublish,
    error: str,
    current: Deployment | None,
    persona: Persona | None = None,
) -> ScheduleStatus | None:
    """FAILED with `error`, and its SCHEDULE_FAILED record, in one transaction; None when
    the claim was lost (cancelled, or another process holds it now: not ours to fail).

    Recorded even when the persona is gone: the audit trail says what became of every
    schedule, and a subscriber to that persona's changes learns why nothing went live.
    """
    assert schedule.id is not None
    record = DeploymentChange(
        id=PydanticObjectId(),
        workspace_id=schedule.workspace_id,
        persona_id=schedule.persona_id,
        environment=schedule.environment,
        kind=ChangeKind.SCHEDULE_FAILED,
        deployment=current.state() if current is not None else None,
        schedule_id=schedule.id,
        by=schedule.created_by,
        note=schedule.note,
        error=error,
    )

    async def write(session: AsyncClientSession) -> None:
        failed = {"status": ScheduleStatus.FAILED.value, "error": error}
        await _finish(schedule, failed, session)
        await DeploymentChange.get_pymongo_collection().insert_one(
            record.model_dump(by_alias=True), session=session
        )

    client = _collection().database.client
    try:
        await run_transaction(client, write)
    except Lost:
        return None
    if persona is not None:  # subscribers hear of it through the change stream elsewhere
        notify_local_change(record, persona)
    logger.info("scheduled publish failed", extra={"schedule_id": str(schedule.id)})
    return ScheduleStatus.FAILED


async def _why_not(
    schedule: ScheduledPublish, persona: Persona, current: Deployment | None
) -> str | None:
    """Why the schedule cannot run now, in words for its owner; None when it can."""
    where = schedule.environment
    if await find_environment(schedule.workspace_id, where) is None:
        return f"The environment {where!r} was deleted before the publish was due."
    if current is not None and current.rollout is not None:
        return f"A rollout was running in {where!r} when the publish was due."
    gone = await missing(schedule.workspace_id, schedule.snapshot, ("snapshot",))
    if gone:
        thing = "tool" if "tools" in gone[0].path else "knowledge base"
        return f"An attached {thing} was deleted after the publish was scheduled."
    serving = await served_version(persona, current)
    if (
        serving is not None
        and serving.digest == schedule.digest
        and same_pins(serving.snapshot, schedule.snapshot)
    ):
        return f"{where!r} already served this draft when the publish was due: nothing to publish."
    return None


def _done(
    schedule: ScheduledPublish, version: int
) -> Callable[[AsyncClientSession], Awaitable[None]]:
    async def mark(session: AsyncClientSession) -> None:
        await _finish(schedule, {"status": ScheduleStatus.DONE.value, "version": version}, session)

    return mark


async def run_claimed(schedule: ScheduledPublish) -> ScheduleStatus | None:
    """Publish a schedule this process claimed, or fail it; None when the claim was lost."""
    assert schedule.id is not None
    where = schedule.environment
    for _ in range(ATTEMPTS):
        persona = await find_persona(schedule.workspace_id, schedule.persona_id)
        if persona is None:
            return await _fail(
                schedule, "The persona was deleted before the publish was due.", None
            )
        current = await find_deployment(schedule.workspace_id, schedule.persona_id, where)
        error = await _why_not(schedule, persona, current)
        if error is not None:
            return await _fail(schedule, error, current, persona)
        version = publishing._next_version(
            persona,
            schedule.snapshot,
            schedule.digest,
            schedule.note,
            schedule.created_by,
            False,
            where,
        )
        change = dataclasses.replace(
            publishing._publishing(persona, current, version, where, ChangeKind.PUBLISHED),
            schedule_id=schedule.id,
            also=_done(schedule, version.version),
        )
        try:
            moved, deployment, record = await commit(change)
        except Lost:
            if not await _still_held(schedule):
                return None
            await asyncio.sleep(random.uniform(0, 0.02))
            continue
        learn_here(deployment.persona_id, deployment.environment, deployment.serial)
        notify_local_change(record, moved, version)
        logger.info("scheduled publish done", extra={"schedule_id": str(schedule.id)})
        return ScheduleStatus.DONE
    return None  # kept losing: the lease ends and a runner tries again

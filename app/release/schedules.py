"""Scheduling a publish of the draft as it is now, reading schedules, and cancelling them.

The draft is frozen (tools and knowledge bases pinned) when scheduled: what goes live at `at`
is what the publisher saw, whatever the draft becomes meanwhile. Scheduling changes nothing
of the persona, its revision included. The runners (app/release/schedule_runner.py) do the
rest.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from beanie import PydanticObjectId
from pymongo import ReturnDocument

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.personas.errors import NothingToPublish, NotPublishable
from app.personas.readiness import readiness
from app.personas.store import refuse, require_persona
from app.personas.validation import check_note
from app.platform.clock import utcnow
from app.platform.errors import DomainError, ErrorCode, InvalidInput, Problem
from app.release.deployments import find_deployment, served_version
from app.release.documents import PRODUCTION
from app.release.environments import require_environment
from app.release.schedule_documents import ScheduledPublish, ScheduleStatus
from app.release.schedule_runner import wake_here

MAX_AHEAD = timedelta(days=366)
AT = ("input", "at")  # the contract's path, the one not relative to the input


class ScheduleNotFound(DomainError):
    def __init__(self) -> None:
        super().__init__([Problem(("id",), "Scheduled publish not found.", ErrorCode.NOT_FOUND)])


class ScheduleNotPending(DomainError):
    def __init__(self, status: ScheduleStatus) -> None:
        message = f"The scheduled publish is {status}: only a PENDING one can be cancelled."
        super().__init__([Problem(("id",), message, ErrorCode.CONFLICT)])


def _check_at(at: datetime, now: datetime) -> datetime:
    """`at` in UTC at the database's precision, or INVALID at ["input", "at"]."""
    if at.tzinfo is None or at.utcoffset() is None:
        message = "Give `at` with a UTC offset, e.g. 2027-01-04T09:00:00Z."
        raise InvalidInput([Problem(AT, message)])
    at = at.astimezone(UTC)
    at = at.replace(microsecond=at.microsecond // 1000 * 1000)
    if at <= now:
        raise InvalidInput([Problem(AT, "`at` is in the past: schedule a moment to come.")])
    if at > now + MAX_AHEAD:
        message = f"`at` is more than {MAX_AHEAD.days} days ahead."
        raise InvalidInput([Problem(AT, message)])
    return at


async def schedule_publish(
    actor: Principal,
    persona_id: PydanticObjectId,
    expected_revision: int,
    environment: str,
    at: datetime,
    note: str | None,
) -> ScheduledPublish:
    """Publish the draft at `expected_revision`, as it is now, into `environment` at `at`.

    Refused as publishing it now would be (NOT_PUBLISHABLE, NOTHING_TO_PUBLISH against what
    the environment serves now); a rollout running there is no refusal, it may end by `at`.
    """
    require(actor, Operation.SCHEDULE_PUBLISH)
    refuse(check_note(note, ("note",)))
    now = utcnow()
    at = _check_at(at, now)
    await require_environment(actor.workspace_id, environment)
    persona = await require_persona(actor, persona_id, expected_revision, "personaId")
    current = await find_deployment(actor.workspace_id, persona_id, environment)
    serving = await served_version(persona, current)
    ready = await readiness(persona, serving, None if environment == PRODUCTION else environment)
    if ready.problems and ready.problems[0].code is ErrorCode.NOTHING_TO_PUBLISH:
        raise NothingToPublish(ready.problems[0].message)
    if ready.problems:
        raise NotPublishable(ready.problems)
    schedule = ScheduledPublish(
        id=PydanticObjectId(),
        workspace_id=actor.workspace_id,
        persona_id=persona_id,
        environment=environment,
        at=at,
        note=note,
        snapshot=ready.pinned,
        digest=persona.draft_digest,
        created_by=actor.name,
        created_at=now,
        claimed_until=at,
    )
    await ScheduledPublish.get_pymongo_collection().insert_one(schedule.model_dump(by_alias=True))
    wake_here()  # other processes hear of it through their change stream
    return schedule


async def find_schedule(
    workspace_id: PydanticObjectId, schedule_id: PydanticObjectId
) -> ScheduledPublish | None:
    found = await ScheduledPublish.get_pymongo_collection().find_one(
        {"workspace_id": workspace_id, "_id": schedule_id}
    )
    return ScheduledPublish.model_validate(found) if found is not None else None


async def get_schedule(actor: Principal, schedule_id: PydanticObjectId) -> ScheduledPublish | None:
    """node(id): the schedule, if it belongs to the caller's workspace."""
    require(actor, Operation.READ_VERSIONS)
    return await find_schedule(actor.workspace_id, schedule_id)


async def schedules_of(
    actor: Principal, persona_id: PydanticObjectId, status: ScheduleStatus | None
) -> list[ScheduledPublish]:
    """The persona's schedules in order of `at` (then of scheduling), of one status if given."""
    require(actor, Operation.READ_VERSIONS)
    query: dict[str, Any] = {"workspace_id": actor.workspace_id, "persona_id": persona_id}
    if status is not None:
        query["status"] = status.value
    rows = await ScheduledPublish.get_pymongo_collection().find(query).to_list()
    found = [ScheduledPublish.model_validate(row) for row in rows]
    return sorted(found, key=lambda schedule: (schedule.at, schedule.id))


async def cancel_scheduled_publish(
    actor: Principal, schedule_id: PydanticObjectId
) -> ScheduledPublish:
    """PENDING -> CANCELLED in one conditional write; a runner that claimed it then finds
    it gone when it commits, and publishes nothing."""
    require(actor, Operation.SCHEDULE_PUBLISH)
    cancelled = await ScheduledPublish.get_pymongo_collection().find_one_and_update(
        {
            "workspace_id": actor.workspace_id,
            "_id": schedule_id,
            "status": ScheduleStatus.PENDING.value,
        },
        {"$set": {"status": ScheduleStatus.CANCELLED.value, "finished_at": utcnow()}},
        return_document=ReturnDocument.AFTER,
    )
    if cancelled is not None:
        schedule: ScheduledPublish = ScheduledPublish.model_validate(cancelled)
        return schedule
    found = await find_schedule(actor.workspace_id, schedule_id)
    if found is None:
        raise ScheduleNotFound()
    raise ScheduleNotPending(found.status)

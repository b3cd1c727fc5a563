"""Scheduled publishes: the type, its node lookup, and schedulePublish / cancelScheduledPublish."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Self

import strawberry
from beanie import PydanticObjectId

from app.access.principal import Forbidden
from app.personas.reads import get_version
from app.release import schedule_documents, schedules
from graphql_schema import ids
from graphql_schema.context import Info
from graphql_schema.errors import UserError, attempt, field_error
from graphql_schema.library.types import Node
from graphql_schema.personas.inputs import given
from graphql_schema.personas.mutations import persona_object_id
from graphql_schema.personas.snapshots import PersonaSnapshot
from graphql_schema.personas.types import PersonaVersion

strawberry.enum(schedule_documents.ScheduleStatus)
ScheduleStatus = schedule_documents.ScheduleStatus
KIND = "ScheduledPublish"


@strawberry.type
class ScheduledPublish(Node):
    schedule: strawberry.Private[schedule_documents.ScheduledPublish]
    environment: str
    at: datetime
    status: ScheduleStatus
    note: str | None
    error: str | None = strawberry.field(description="Once FAILED: why it could not run.")
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, schedule: schedule_documents.ScheduledPublish) -> Self:
        return cls(
            id=strawberry.ID(ids.encode(KIND, str(schedule.id))),
            schedule=schedule,
            environment=schedule.environment,
            at=schedule.at,
            status=schedule.status,
            note=schedule.note,
            error=schedule.error,
            created_by=schedule.created_by,
            created_at=schedule.created_at,
        )

    @strawberry.field(
        description="What goes live: the draft as it was when scheduled, not as it is at `at`."
    )
    def snapshot(self) -> PersonaSnapshot:
        return PersonaSnapshot.from_document(self.schedule.snapshot)

    @strawberry.field(description="Once DONE: the version it published.")
    async def version(self) -> PersonaVersion | None:
        number = self.schedule.version
        if number is None:
            return None
        found = await get_version(self.schedule.persona_id, number)
        return PersonaVersion.from_document(found) if found is not None else None


async def find_scheduled_publish(info: Info, global_id: str) -> ScheduledPublish | None:
    """node(id) for a schedule of the caller's workspace."""
    object_id = ids.decode_object_id(global_id, KIND)
    try:
        found = await schedules.get_schedule(info.context.actor, object_id) if object_id else None
    except Forbidden as error:
        raise field_error(error) from None
    return ScheduledPublish.of(found) if found is not None else None


async def scheduled_publishes_of(
    info: Info, persona_id: PydanticObjectId, status: ScheduleStatus | None
) -> list[ScheduledPublish]:
    """Persona.scheduledPublishes."""
    try:
        found = await schedules.schedules_of(info.context.actor, persona_id, status)
    except Forbidden as error:
        raise field_error(error) from None
    return [ScheduledPublish.of(schedule) for schedule in found]


@strawberry.input
class SchedulePublishInput:
    persona_id: strawberry.ID
    expected_revision: int
    environment: str = "production"
    at: datetime = strawberry.field(description="With a UTC offset; within 366 days from now.")
    note: str | None = strawberry.UNSET


@strawberry.input
class CancelScheduledPublishInput:
    id: strawberry.ID


@strawberry.type
class ScheduledPublishPayload:
    scheduled_publish: ScheduledPublish | None
    user_errors: list[UserError]


def _schedule_object_id(global_id: str) -> PydanticObjectId:
    object_id = ids.decode_object_id(global_id, KIND)
    if object_id is None:
        raise schedules.ScheduleNotFound()
    return object_id


async def _payload(
    call: Callable[[], Awaitable[schedule_documents.ScheduledPublish]],
) -> ScheduledPublishPayload:
    schedule, errors = await attempt(call)
    return ScheduledPublishPayload(
        scheduled_publish=ScheduledPublish.of(schedule) if schedule else None, user_errors=errors
    )


@strawberry.type
class ScheduleMutation:
    @strawberry.mutation(description="PUBLISHER; runs once, whatever the number of API processes.")
    async def schedule_publish(
        self, info: Info, input: SchedulePublishInput
    ) -> ScheduledPublishPayload:
        return await _payload(
            lambda: schedules.schedule_publish(
                info.context.actor,
                persona_object_id(input.persona_id, "personaId"),
                input.expected_revision,
                input.environment,
                input.at,
                given(input.note),
            )
        )

    @strawberry.mutation(description="PUBLISHER; only a PENDING schedule (else CONFLICT).")
    async def cancel_scheduled_publish(
        self, info: Info, input: CancelScheduledPublishInput
    ) -> ScheduledPublishPayload:
        return await _payload(
            lambda: schedules.cancel_scheduled_publish(
                info.context.actor, _schedule_object_id(input.id)
            )
        )

"""Stored scheduled publishes: the draft frozen when scheduled, and who may run it now.

A PENDING schedule may be claimed from `claimed_until` on: that is `at` until a process
claims it, then the end of that process's lease. So one condition, `claimed_until <= now`,
says both "due" and "nobody holds it", and the earliest `claimed_until` of the PENDING ones
is when a runner has anything to do next (a new schedule, or a lease a dead process left).
(`claimed_until` is never before `at`, so the claim needs no second range on `at`, which the
embedded database would serve by a scan.)
"""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from app.personas.documents import Snapshot
from app.platform.clock import utcnow


class ScheduleStatus(StrEnum):
    PENDING = "PENDING"
    DONE = "DONE"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class ScheduledPublish(Document):
    workspace_id: PydanticObjectId
    persona_id: PydanticObjectId
    environment: str
    at: datetime
    status: ScheduleStatus = ScheduleStatus.PENDING
    note: str | None = None
    snapshot: Snapshot  # the draft as pinned when scheduled: what goes live
    digest: str  # the draft's digest then
    created_by: str
    created_at: datetime = Field(default_factory=utcnow)
    version: int | None = None  # DONE: the version it published
    error: str | None = None  # FAILED: why, readable
    finished_at: datetime | None = None  # when it left PENDING
    claimed_until: datetime  # claimable from: `at`, then the end of the latest claim's lease
    claim: PydanticObjectId | None = None  # the latest claim: only its holder may finish it

    class Settings:
        name = "scheduled_publishes"
        indexes: ClassVar = [
            # The runners' claim (PENDING, claimed_until <= now) and their next wake-up (the
            # earliest claimed_until of the PENDING ones).
            IndexModel([("status", ASCENDING), ("claimed_until", ASCENDING)], name="due"),
            # Persona.scheduledPublishes, with or without a status, in order of `at`.
            IndexModel(
                [
                    ("workspace_id", ASCENDING),
                    ("persona_id", ASCENDING),
                    ("status", ASCENDING),
                    ("at", ASCENDING),
                ],
                name="persona_schedules",
            ),
            # node(id), the cancel's {.., status} and a runner's {.., status, claim}: by id
            # within the workspace (the embedded database uses an index only for a filter
            # whose every field it holds).
            IndexModel(
                [
                    ("workspace_id", ASCENDING),
                    ("_id", ASCENDING),
                    ("status", ASCENDING),
                    ("claim", ASCENDING),
                ],
                name="identity",
            ),
        ]

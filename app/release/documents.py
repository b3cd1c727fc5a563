"""Stored releases: environments, what each serves of a persona, and a record of every change.

A deployment is one document per persona and environment; its `serial` grows by one with
every change, and every change is one conditional write on it, so two changes read from the
same state can never both land. Each change also inserts a `DeploymentChange` in the same
transaction: the audit trail, and the news every process hears through its change stream.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.platform.clock import utcnow

PRODUCTION = "production"


class Environment(Document):
    workspace_id: PydanticObjectId
    name: str
    variables: dict[str, Any] = Field(default_factory=dict)
    revision: int = 1
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "environments"
        indexes: ClassVar = [
            IndexModel([("workspace_id", ASCENDING), ("name", ASCENDING)], unique=True),
            # The conditional write of setEnvironmentVariables.
            IndexModel(
                [("workspace_id", ASCENDING), ("name", ASCENDING), ("revision", ASCENDING)],
                name="revision",
            ),
        ]


class Rollout(BaseModel):
    id: PydanticObjectId = Field(default_factory=PydanticObjectId)  # what assignment hashes
    version: int  # the candidate
    percent: int
    started_at: datetime
    started_by: str
    note: str | None = None


class DeploymentState(BaseModel):
    """What an environment serves of one persona, after one change."""

    version: int
    deployed_at: datetime
    deployed_by: str
    note: str | None = None
    replaced: int | None = None  # the version served before this deployment
    rollout: Rollout | None = None
    serial: int = 1


class Deployment(Document, DeploymentState):
    workspace_id: PydanticObjectId
    persona_id: PydanticObjectId
    environment: str

    class Settings:
        name = "deployments"
        indexes: ClassVar = [
            IndexModel(
                [
                    ("workspace_id", ASCENDING),
                    ("persona_id", ASCENDING),
                    ("environment", ASCENDING),
                ],
                name="slot",
                unique=True,
            ),
            # Serves the {.., serial} condition of every change.
            IndexModel(
                [
                    ("workspace_id", ASCENDING),
                    ("persona_id", ASCENDING),
                    ("environment", ASCENDING),
                    ("serial", ASCENDING),
                ],
                name="serial",
            ),
            # Deleting an environment removes its deployments.
            IndexModel([("workspace_id", ASCENDING), ("environment", ASCENDING)], name="place"),
        ]

    def state(self) -> DeploymentState:
        return DeploymentState.model_validate(
            self.model_dump(include=set(DeploymentState.model_fields))
        )


class ChangeKind(StrEnum):
    PUBLISHED = "PUBLISHED"
    ROLLED_BACK = "ROLLED_BACK"
    DEPLOYED = "DEPLOYED"
    ROLLOUT_STARTED = "ROLLOUT_STARTED"
    ROLLOUT_CHANGED = "ROLLOUT_CHANGED"
    ROLLOUT_COMPLETED = "ROLLOUT_COMPLETED"
    ROLLOUT_ABORTED = "ROLLOUT_ABORTED"
    SCHEDULE_FAILED = "SCHEDULE_FAILED"


class DeploymentChange(Document):
    """One change of what an environment serves; its _id is the event's eventId."""

    workspace_id: PydanticObjectId
    persona_id: PydanticObjectId
    environment: str
    kind: ChangeKind
    deployment: DeploymentState | None  # after the change (None: nothing deployed)
    replaced: DeploymentState | None = None  # before it
    published: int | None = None  # the version a PUBLISHED or ROLLED_BACK change made
    schedule_id: PydanticObjectId | None = None
    by: str
    note: str | None = None
    error: str | None = None  # SCHEDULE_FAILED: why
    at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "deployment_changes"
        indexes: ClassVar = [
            IndexModel(
                [
                    ("workspace_id", ASCENDING),
                    ("persona_id", ASCENDING),
                    ("environment", ASCENDING),
                    ("_id", DESCENDING),
                ],
                name="history",
            ),
        ]

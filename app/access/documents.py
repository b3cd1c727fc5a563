"""Workspaces and their API keys, as stored."""

from datetime import datetime
from typing import ClassVar

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from app.access.principal import Role
from app.platform.clock import utcnow


class Workspace(Document):
    """A tenant: its personas and keys are invisible to every other workspace."""

    name: str
    created_at: datetime = Field(default_factory=utcnow)
    # The last persona `seq` handed out, and how many personas there are now.
    persona_seq: int = 0
    persona_count: int = 0

    class Settings:
        name = "workspaces"
        indexes: ClassVar = [IndexModel([("name", ASCENDING)], name="name", unique=True)]


class ApiKey(Document):
    """A key is stored as its public prefix and the SHA-256 of its secret, never as itself."""

    workspace_id: PydanticObjectId
    name: str
    role: Role
    prefix: str
    secret_hash: str
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    class Settings:
        name = "api_keys"
        indexes: ClassVar = [
            IndexModel([("prefix", ASCENDING)], name="prefix", unique=True),
            IndexModel([("workspace_id", ASCENDING), ("created_at", ASCENDING)], name="workspace"),
        ]

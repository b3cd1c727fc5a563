"""Beanie documents: a persona embeds its draft and production; versions are immutable snapshots."""

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel


class FirstSpeaker(StrEnum):
    AGENT = "AGENT"
    USER = "USER"


class PersonaStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    CHANGED = "CHANGED"


def utcnow() -> datetime:
    # BSON dates keep milliseconds; truncating here makes a fresh document equal its stored copy.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class VoiceConfiguration(BaseModel):
    locale: str
    prompt: str
    voice_key: str
    first_speaker: FirstSpeaker = FirstSpeaker.AGENT
    first_message: str | None = None
    model_key: str
    temperature: float = 0.7
    max_duration_seconds: int = 1800
    silence_timeout_seconds: int = 30
    recording: bool = False


class ChatConfiguration(BaseModel):
    prompt: str
    model_key: str
    temperature: float = 0.7
    max_tokens: int = 1024
    forward_to_voice: bool = False


class Snapshot(BaseModel):
    """One whole configuration: the draft, or what a version published."""

    name: str
    memory: bool = False
    # Keyed by canonical locale; insertion order is kept and decides the "first locale".
    voice_configurations: dict[str, VoiceConfiguration] = Field(default_factory=dict)
    chat_configuration: ChatConfiguration | None = None

    def digest(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


class Production(BaseModel):
    """The published version that live calls run on, embedded so reads need no join."""

    version: int
    snapshot: Snapshot
    digest: str
    published_at: datetime
    published_by: str
    note: str | None = None
    from_rollback: bool = False


class Persona(Document):
    draft: Snapshot
    draft_digest: str
    production: Production | None = None
    revision: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "personas"
        indexes: ClassVar = [
            IndexModel([("draft.name", ASCENDING)], name="draft_name"),
            IndexModel([("production.version", ASCENDING), ("_id", DESCENDING)], name="status"),
        ]

    @property
    def status(self) -> PersonaStatus:
        if self.production is None:
            return PersonaStatus.DRAFT
        if self.production.digest == self.draft_digest:
            return PersonaStatus.PUBLISHED
        return PersonaStatus.CHANGED


class PersonaVersion(Document, Production):
    """An immutable snapshot of one publish; (persona_id, version) is unique."""

    persona_id: PydanticObjectId

    class Settings:
        name = "persona_versions"
        indexes: ClassVar = [
            IndexModel(
                [("persona_id", ASCENDING), ("version", DESCENDING)],
                name="persona_version",
                unique=True,
            ),
        ]

    def as_production(self) -> Production:
        return Production.model_validate(self.model_dump(include=set(Production.model_fields)))


DOCUMENT_MODELS: list[type[Document]] = [Persona, PersonaVersion]

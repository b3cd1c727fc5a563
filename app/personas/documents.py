"""Beanie documents: a persona embeds its draft and production; versions are immutable snapshots."""

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field, computed_field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.library.catalog import Channel
from app.library.knowledge.definitions import KnowledgeBaseDefinition
from app.library.tools.definitions import ToolDefinition
from app.personas.memory_policy import MemoryPolicy
from app.personas.variables import VariableDefinition
from app.platform.clock import utcnow
from app.platform.search import search_grams


class FirstSpeaker(StrEnum):
    AGENT = "AGENT"
    USER = "USER"


class PersonaStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    CHANGED = "CHANGED"


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


class ToolAttachment(BaseModel):
    tool_id: PydanticObjectId
    channels: list[Channel]
    # Set in published versions only: the tool as it was when published.
    definition: ToolDefinition | None = None


class KnowledgeBaseAttachment(BaseModel):
    knowledge_base_id: PydanticObjectId
    channels: list[Channel]
    top_k: int = 5
    # Set in published versions only: the knowledge base as it was when published.
    definition: KnowledgeBaseDefinition | None = None


class Snapshot(BaseModel):
    """One whole configuration: the draft, or what a version published."""

    name: str
    memory: bool = False
    # Keyed by canonical locale; insertion order is kept and decides the "first locale".
    voice_configurations: dict[str, VoiceConfiguration] = Field(default_factory=dict)
    chat_configuration: ChatConfiguration | None = None
    variables: list[VariableDefinition] = Field(default_factory=list)
    tools: list[ToolAttachment] = Field(default_factory=list)
    knowledge_bases: list[KnowledgeBaseAttachment] = Field(default_factory=list)
    memory_policy: MemoryPolicy = Field(default_factory=MemoryPolicy)

    def digest(self) -> str:
        """What the draft says, without the copies publishing pins.

        Fields added since the first release are left out while empty or at their default, so
        that older documents keep their digests (and their status).
        """
        pinned = {"__all__": {"definition"}}
        exclude: dict[str, Any] = {
            "variables": True if not self.variables else set(),
            "tools": pinned if self.tools else True,
            "knowledge_bases": pinned if self.knowledge_bases else True,
            "memory_policy": True if self.memory_policy == MemoryPolicy() else set(),
        }
        exclude = {name: rule for name, rule in exclude.items() if rule}
        return hashlib.sha256(self.model_dump_json(exclude=exclude).encode()).hexdigest()


class Production(BaseModel):
    """The published version that live calls run on, embedded so reads need no join."""

    version: int
    snapshot: Snapshot
    digest: str
    published_at: datetime
    published_by: str
    note: str | None = None
    from_rollback: bool = False
    environment: str | None = None  # where it was first published; None: before environments


class Persona(Document):
    workspace_id: PydanticObjectId
    # Creation order within the workspace (1, 2, 3 ...): pages are ranges of it, so a page
    # costs the same however many personas the workspace holds.
    seq: int
    draft: Snapshot
    draft_digest: str
    production: Production | None = None
    # The newest version published to any environment; None in documents from before
    # environments, where production was always the newest.
    latest_version: int | None = None
    revision: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "personas"
        indexes: ClassVar = [
            # Serves {workspace_id, _id} reads and the {.., revision, production.version}
            # condition of every write.
            IndexModel(
                [
                    ("workspace_id", ASCENDING),
                    ("_id", ASCENDING),
                    ("revision", ASCENDING),
                    ("production.version", ASCENDING),
                ],
                name="identity",
            ),
            IndexModel([("workspace_id", ASCENDING), ("seq", DESCENDING)], name="page"),
            IndexModel(
                [("workspace_id", ASCENDING), ("status", ASCENDING), ("seq", DESCENDING)],
                name="status_page",
            ),
            IndexModel(
                [("workspace_id", ASCENDING), ("search_grams", ASCENDING), ("seq", DESCENDING)],
                name="search_page",
            ),
            # usedBy pages, and the checks that refuse deleting what a draft attaches.
            IndexModel(
                [("workspace_id", ASCENDING), ("draft_tool_ids", ASCENDING), ("seq", DESCENDING)],
                name="tool_users",
            ),
            IndexModel(
                [
                    ("workspace_id", ASCENDING),
                    ("draft_knowledge_base_ids", ASCENDING),
                    ("seq", DESCENDING),
                ],
                name="knowledge_base_users",
            ),
        ]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> PersonaStatus:
        if self.production is None:
            return PersonaStatus.DRAFT
        if self.production.digest == self.draft_digest:
            return PersonaStatus.PUBLISHED
        return PersonaStatus.CHANGED

    @property
    def newest_version(self) -> int:
        """The number of the newest version; the next publish gets the one after."""
        if self.latest_version is not None:
            return self.latest_version
        return self.production.version if self.production else 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def search_grams(self) -> list[str]:
        return search_grams(self.draft.name)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def draft_tool_ids(self) -> list[PydanticObjectId]:
        return [attachment.tool_id for attachment in self.draft.tools]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def draft_knowledge_base_ids(self) -> list[PydanticObjectId]:
        return [attachment.knowledge_base_id for attachment in self.draft.knowledge_bases]

    def stored(self) -> dict[str, Any]:
        """The document as written, derived fields included."""
        stored: dict[str, Any] = self.model_dump(by_alias=True)
        return stored


DERIVED_FIELDS = ("status", "search_grams", "draft_tool_ids", "draft_knowledge_base_ids")


def version_slot(persona_id: PydanticObjectId | None, version: int) -> str:
    return f"{persona_id}:{version}"


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
            IndexModel([("slot", ASCENDING)], name="slot"),
        ]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def slot(self) -> str:
        """(persona, version) as one value: pages of many personas' versions are one $in."""
        return version_slot(self.persona_id, self.version)

    def as_production(self) -> Production:
        return Production.model_validate(self.model_dump(include=set(Production.model_fields)))

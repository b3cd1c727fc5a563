"""Persona types, each built from its Beanie document by `from_document`."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from strawberry.scalars import JSON

from app.personas import diff, documents, readiness, reads, resolution
from graphql_schema import ids
from graphql_schema.context import Info
from graphql_schema.library.types import (
    Channel,
    LanguageModel,
    Node,
    Voice,
    language_model,
    voice,
)
from graphql_schema.pagination import PageInfo, after_cursor, page_size
from graphql_schema.personas.readiness import Readiness
from graphql_schema.scalars import Locale, query_locale

if TYPE_CHECKING:
    from graphql_schema.personas.attachments import KnowledgeBaseAttachment, ToolAttachment
    from graphql_schema.personas.resolution import LiveConfiguration
    from graphql_schema.personas.variables import VariableDefinition

LazyLiveConfiguration = Annotated[
    "LiveConfiguration", strawberry.lazy("graphql_schema.personas.resolution")
]

strawberry.enum(documents.FirstSpeaker)
strawberry.enum(documents.PersonaStatus)
FirstSpeaker = documents.FirstSpeaker
PersonaStatus = documents.PersonaStatus


@strawberry.type
class VoiceConfiguration:
    locale: Locale
    prompt: str
    voice: Voice
    first_speaker: FirstSpeaker
    first_message: str | None = strawberry.field(
        description="Required to publish when firstSpeaker is AGENT."
    )
    model: LanguageModel
    temperature: float = strawberry.field(description="0.0 .. 2.0")
    max_duration_seconds: int = strawberry.field(description="10 .. 14400")
    silence_timeout_seconds: int = strawberry.field(description="1 .. maxDurationSeconds")
    recording: bool

    @classmethod
    def from_document(cls, config: documents.VoiceConfiguration) -> Self:
        return cls(
            locale=Locale(config.locale),
            prompt=config.prompt,
            voice=voice(config.voice_key),
            first_speaker=config.first_speaker,
            first_message=config.first_message,
            model=language_model(config.model_key),
            temperature=config.temperature,
            max_duration_seconds=config.max_duration_seconds,
            silence_timeout_seconds=config.silence_timeout_seconds,
            recording=config.recording,
        )


@strawberry.type
class ChatConfiguration:
    prompt: str
    model: LanguageModel
    temperature: float = strawberry.field(description="0.0 .. 2.0")
    max_tokens: int = strawberry.field(description="1 .. model.maxOutputTokens")
    forward_to_voice: bool = strawberry.field(
        description="Publishing requires at least one voice configuration."
    )

    @classmethod
    def from_document(cls, config: documents.ChatConfiguration) -> Self:
        return cls(
            prompt=config.prompt,
            model=language_model(config.model_key),
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            forward_to_voice=config.forward_to_voice,
        )


def chat_or_none(config: documents.ChatConfiguration | None) -> ChatConfiguration | None:
    return ChatConfiguration.from_document(config) if config else None


def voice_or_none(config: documents.VoiceConfiguration | None) -> VoiceConfiguration | None:
    return VoiceConfiguration.from_document(config) if config else None


@strawberry.type(description="One whole configuration: the draft, or a published version.")
class PersonaSnapshot:
    snapshot: strawberry.Private[documents.Snapshot]

    @classmethod
    def from_document(cls, snapshot: documents.Snapshot) -> Self:
        return cls(snapshot=snapshot)

    @strawberry.field
    def name(self) -> str:
        return self.snapshot.name

    @strawberry.field
    def memory(self) -> bool:
        return self.snapshot.memory

    @strawberry.field
    def voice_configurations(self) -> list[VoiceConfiguration]:
        configs = self.snapshot.voice_configurations.values()
        return [VoiceConfiguration.from_document(config) for config in configs]

    @strawberry.field(description="Exact locale match.")
    def voice_configuration(self, locale: Locale) -> VoiceConfiguration | None:
        return voice_or_none(self.snapshot.voice_configurations.get(query_locale(locale) or ""))

    @strawberry.field
    def chat_configuration(self) -> ChatConfiguration | None:
        return chat_or_none(self.snapshot.chat_configuration)

    @strawberry.field(description="In the order they were set.")
    def variables(
        self,
    ) -> list[
        Annotated["VariableDefinition", strawberry.lazy("graphql_schema.personas.variables")]
    ]:
        # Imported here: that module's mutation returns the Persona defined below.
        from graphql_schema.personas.variables import VariableDefinition

        return [VariableDefinition.from_document(v) for v in self.snapshot.variables]

    @strawberry.field(description="At most 32; in a version, the definitions it pinned.")
    async def tools(
        self, info: Info
    ) -> list[Annotated["ToolAttachment", strawberry.lazy("graphql_schema.personas.attachments")]]:
        # Imported here: attachments builds on this module's types.
        from graphql_schema.personas.attachments import tool_attachments

        return await tool_attachments(info, self.snapshot)

    @strawberry.field(description="At most 10; in a version, the definitions it pinned.")
    async def knowledge_bases(
        self, info: Info
    ) -> list[
        Annotated["KnowledgeBaseAttachment", strawberry.lazy("graphql_schema.personas.attachments")]
    ]:
        from graphql_schema.personas.attachments import knowledge_base_attachments

        return await knowledge_base_attachments(info, self.snapshot.knowledge_bases)


@strawberry.type
class PersonaVersion:
    version: int = strawberry.field(description="1, 2, 3 ... per persona")
    snapshot: PersonaSnapshot
    published_at: datetime
    published_by: str
    note: str | None
    rollback: bool = strawberry.field(description="True when made by rollbackPersona.")

    @classmethod
    def from_document(cls, version: documents.Production | documents.PersonaVersion) -> Self:
        return cls(
            version=version.version,
            snapshot=PersonaSnapshot.from_document(version.snapshot),
            published_at=version.published_at,
            published_by=version.published_by,
            note=version.note,
            rollback=version.from_rollback,
        )


@strawberry.type(description="Values as JSON text.")
class FieldChange:
    path: str
    before: str | None
    after: str | None


@strawberry.type
class PersonaVersionEdge:
    cursor: str
    node: PersonaVersion


@strawberry.type
class PersonaVersionConnection:
    edges: list[PersonaVersionEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class Persona(Node):
    persona: strawberry.Private[documents.Persona]
    status: PersonaStatus
    revision: int = strawberry.field(
        description="Bumps on every draft change; pass it back as expectedRevision."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_document(cls, persona: documents.Persona) -> Self:
        return cls(
            id=strawberry.ID(ids.persona_id(persona.id)),
            persona=persona,
            status=persona.status,
            revision=persona.revision,
            created_at=persona.created_at,
            updated_at=persona.updated_at,
        )

    @strawberry.field
    def draft(self) -> PersonaSnapshot:
        return PersonaSnapshot.from_document(self.persona.draft)

    @strawberry.field(description="Null until the first publish.")
    def production(self) -> PersonaVersion | None:
        production = self.persona.production
        return PersonaVersion.from_document(production) if production else None

    @strawberry.field(description="Newest first.")
    async def versions(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> PersonaVersionConnection:
        first = page_size(first)
        before = after_cursor(after, ids.decode_version_cursor)
        window = reads.version_window(self.persona, first, before)
        items = await info.context.versions.load(window)
        edges = [
            PersonaVersionEdge(
                cursor=ids.version_cursor(item.version), node=PersonaVersion.from_document(item)
            )
            for item in items
        ]
        production = self.persona.production
        return PersonaVersionConnection(
            edges=edges,
            page_info=PageInfo.of(edges, window.has_next, after is not None),
            total_count=production.version if production else 0,
        )

    @strawberry.field(description="What publishing the draft now would do.")
    async def readiness(self) -> Readiness:
        return Readiness.of(await readiness.readiness(self.persona))

    @strawberry.field(
        description="The draft resolved exactly as liveConfiguration would resolve a published "
        "version; records nothing."
    )
    async def preview(
        self,
        channel: Channel,
        locale: Locale | None = None,
        environment: str | None = "production",
        variables: JSON | None = None,
        contact_id: str | None = None,
    ) -> (
        Annotated["LiveConfiguration", strawberry.lazy("graphql_schema.personas.resolution")] | None
    ):
        # Imported here: the call-start answer is built of this module's types.
        from graphql_schema.personas.resolution import answered, call_start

        call = call_start(channel, locale, environment, contact_id, variables)
        return await answered(lambda: resolution.preview(self.persona, call))

    @strawberry.field(description="The draft against production (everything, before a publish).")
    def changes(self) -> list[FieldChange]:
        production = self.persona.production
        found = diff.changes(production.snapshot if production else None, self.persona.draft)
        return [FieldChange(path=c.path, before=c.before, after=c.after) for c in found]


@strawberry.type
class PersonaEdge:
    cursor: str
    node: Persona


@strawberry.type
class PersonaConnection:
    edges: list[PersonaEdge]
    page_info: PageInfo
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Counted only when asked for.")
    async def total_count(self) -> int:
        return await self.counter()

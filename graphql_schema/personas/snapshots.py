"""A configuration as GraphQL shows it: voice and chat configurations and whole snapshots."""

from typing import TYPE_CHECKING, Annotated, Self

import strawberry

from app.personas import documents
from graphql_schema.context import Info
from graphql_schema.library.types import LanguageModel, Voice, language_model, voice
from graphql_schema.scalars import Locale, query_locale

if TYPE_CHECKING:
    from graphql_schema.personas.attachments import KnowledgeBaseAttachment, ToolAttachment
    from graphql_schema.personas.memory_policy import MemoryPolicy
    from graphql_schema.personas.variables import VariableDefinition

strawberry.enum(documents.FirstSpeaker)
FirstSpeaker = documents.FirstSpeaker


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

    @strawberry.field(description="Versioned like every field; used only when memory is true.")
    def memory_policy(
        self,
    ) -> Annotated["MemoryPolicy", strawberry.lazy("graphql_schema.personas.memory_policy")]:
        # Imported here: that module's mutation returns the Persona built on this type.
        from graphql_schema.personas.memory_policy import MemoryPolicy

        return MemoryPolicy.from_document(self.snapshot.memory_policy)

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

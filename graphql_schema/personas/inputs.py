"""Mutation inputs, each converted to the domain's own models by `to_document`."""

from typing import TYPE_CHECKING, Annotated, TypeVar

import strawberry

from app.personas import documents
from graphql_schema.personas.attachment_inputs import (
    KnowledgeBaseAttachmentInput,
    ToolAttachmentInput,
)
from graphql_schema.personas.snapshots import FirstSpeaker
from graphql_schema.scalars import Locale

if TYPE_CHECKING:
    from graphql_schema.personas.variables import VariableDefinitionInput

T = TypeVar("T")


def given(value: T | None) -> T | None:
    """None for an optional input field that was left out, as for one set to null."""
    return None if value is strawberry.UNSET else value


@strawberry.input
class VoiceConfigurationInput:
    locale: Locale
    prompt: str
    voice_key: str
    first_speaker: FirstSpeaker = documents.FirstSpeaker.AGENT
    first_message: str | None = strawberry.UNSET
    model_key: str
    temperature: float = 0.7
    max_duration_seconds: int = 1800
    silence_timeout_seconds: int = 30
    recording: bool = False

    def to_document(self) -> documents.VoiceConfiguration:
        return documents.VoiceConfiguration(
            locale=self.locale,
            prompt=self.prompt,
            voice_key=self.voice_key,
            first_speaker=self.first_speaker,
            first_message=given(self.first_message),
            model_key=self.model_key,
            temperature=self.temperature,
            max_duration_seconds=self.max_duration_seconds,
            silence_timeout_seconds=self.silence_timeout_seconds,
            recording=self.recording,
        )


@strawberry.input
class ChatConfigurationInput:
    prompt: str
    model_key: str
    temperature: float = 0.7
    max_tokens: int = 1024
    forward_to_voice: bool = False

    def to_document(self) -> documents.ChatConfiguration:
        return documents.ChatConfiguration(
            prompt=self.prompt,
            model_key=self.model_key,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            forward_to_voice=self.forward_to_voice,
        )


@strawberry.input
class CreatePersonaInput:
    name: str
    memory: bool = False
    voice_configurations: list[VoiceConfigurationInput] | None = strawberry.field(
        default_factory=list
    )
    chat_configuration: ChatConfigurationInput | None = strawberry.UNSET
    # Lazy: that module's mutation returns the payload defined beside these inputs.
    variables: (
        list[
            Annotated[
                "VariableDefinitionInput", strawberry.lazy("graphql_schema.personas.variables")
            ]
        ]
        | None
    ) = strawberry.field(default_factory=list)
    tools: list[ToolAttachmentInput] | None = strawberry.field(default_factory=list)
    knowledge_bases: list[KnowledgeBaseAttachmentInput] | None = strawberry.field(
        default_factory=list
    )


@strawberry.input
class UpdatePersonaInput:
    id: strawberry.ID
    expected_revision: int
    name: str | None = strawberry.UNSET
    memory: bool | None = strawberry.UNSET


@strawberry.input(description="Upsert by locale.")
class SetVoiceConfigurationInput:
    persona_id: strawberry.ID
    expected_revision: int
    configuration: VoiceConfigurationInput


@strawberry.input
class RemoveVoiceConfigurationInput:
    persona_id: strawberry.ID
    expected_revision: int
    locale: Locale


@strawberry.input(description="A null configuration removes it.")
class SetChatConfigurationInput:
    persona_id: strawberry.ID
    expected_revision: int
    configuration: ChatConfigurationInput | None = strawberry.UNSET


@strawberry.input
class PublishPersonaInput:
    persona_id: strawberry.ID
    expected_revision: int
    note: str | None = strawberry.UNSET
    environment: str | None = "production"


@strawberry.input(description="draft := production")
class DiscardDraftInput:
    persona_id: strawberry.ID
    expected_revision: int


@strawberry.input(description="draft := that version")
class RestorePersonaVersionInput:
    persona_id: strawberry.ID
    expected_revision: int
    version: int


@strawberry.input(description="Publishes that version again as a new version, at once.")
class RollbackPersonaInput:
    persona_id: strawberry.ID
    version: int
    note: str | None = strawberry.UNSET
    environment: str | None = "production"


@strawberry.input
class DeletePersonaInput:
    id: strawberry.ID

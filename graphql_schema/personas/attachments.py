"""What a snapshot attaches, over GraphQL: pinned copies in versions, the library in drafts."""

from typing import Self

import strawberry
from beanie import PydanticObjectId

from app.library.catalog import Channel
from app.personas import attachments, documents
from app.platform.errors import ErrorCode, InvalidInput, Problem
from graphql_schema import ids
from graphql_schema.context import Info
from graphql_schema.personas.knowledge import KnowledgeBase, KnowledgeBaseDefinition
from graphql_schema.personas.mutations import PersonaPayload, persona_object_id, persona_payload
from graphql_schema.personas.tools import Tool, ToolDefinition

BOTH = [Channel.VOICE, Channel.CHAT]


@strawberry.type
class ToolAttachment:
    tool: Tool | None = strawberry.field(description="The tool as it is now; null once deleted.")
    definition: ToolDefinition
    channels: list[Channel]

    @classmethod
    def of(cls, attachment: documents.ToolAttachment, tool: Tool | None) -> Self | None:
        pinned = attachment.definition
        if pinned is None and tool is None:
            return None  # a draft never names a deleted tool; nothing to show if one did
        definition = pinned if pinned is not None else tool.tool.definition()  # type: ignore[union-attr]
        return cls(
            tool=tool, definition=ToolDefinition.of(definition), channels=attachment.channels
        )


async def tool_attachments(info: Info, snapshot: documents.Snapshot) -> list[ToolAttachment]:
    workspace_id = info.context.actor.workspace_id
    found = await info.context.tools.load_many([(workspace_id, a.tool_id) for a in snapshot.tools])
    shown = (
        ToolAttachment.of(attachment, Tool.from_document(tool) if tool else None)
        for attachment, tool in zip(snapshot.tools, found, strict=True)
    )
    return [attachment for attachment in shown if attachment is not None]


@strawberry.input
class ToolAttachmentInput:
    tool_id: strawberry.ID
    channels: list[Channel] = strawberry.field(default_factory=lambda: list(BOTH))


@strawberry.input(description="Replaces the list.")
class SetPersonaToolsInput:
    persona_id: strawberry.ID
    expected_revision: int
    tools: list[ToolAttachmentInput]


def _object_ids(
    kind: str, given: list[strawberry.ID], field: tuple[str, str]
) -> list[PydanticObjectId]:
    decoded = [ids.decode_object_id(global_id, kind) for global_id in given]
    unknown = [
        Problem((field[0], str(index), field[1]), f"{kind} not found.", ErrorCode.NOT_FOUND)
        for index, object_id in enumerate(decoded)
        if object_id is None
    ]
    if unknown:
        raise InvalidInput(unknown)
    return [object_id for object_id in decoded if object_id is not None]


@strawberry.type
class KnowledgeBaseAttachment:
    knowledge_base: KnowledgeBase | None = strawberry.field(
        description="The knowledge base as it is now; null once deleted."
    )
    definition: KnowledgeBaseDefinition
    channels: list[Channel]
    top_k: int = strawberry.field(description="1 .. 20 passages retrieved per turn.")

    @classmethod
    def of(
        cls, attachment: documents.KnowledgeBaseAttachment, base: KnowledgeBase | None
    ) -> Self | None:
        definition = attachment.definition
        if definition is None:
            if base is None:
                return None  # a draft never names a deleted base; nothing to show if one did
            definition = base.knowledge_base.definition()
        return cls(
            knowledge_base=base,
            definition=KnowledgeBaseDefinition.of(definition),
            channels=attachment.channels,
            top_k=attachment.top_k,
        )


async def knowledge_base_attachments(
    info: Info, attached: list[documents.KnowledgeBaseAttachment]
) -> list[KnowledgeBaseAttachment]:
    workspace_id = info.context.actor.workspace_id
    keys = [(workspace_id, a.knowledge_base_id) for a in attached]
    found = await info.context.knowledge_bases.load_many(keys)
    shown = (
        KnowledgeBaseAttachment.of(attachment, KnowledgeBase.from_document(base) if base else None)
        for attachment, base in zip(attached, found, strict=True)
    )
    return [attachment for attachment in shown if attachment is not None]


@strawberry.input
class KnowledgeBaseAttachmentInput:
    knowledge_base_id: strawberry.ID
    channels: list[Channel] = strawberry.field(default_factory=lambda: list(BOTH))
    top_k: int = 5


@strawberry.input(description="Replaces the list.")
class SetPersonaKnowledgeBasesInput:
    persona_id: strawberry.ID
    expected_revision: int
    knowledge_bases: list[KnowledgeBaseAttachmentInput]


@strawberry.type
class AttachmentMutation:
    @strawberry.mutation
    async def set_persona_tools(self, info: Info, input: SetPersonaToolsInput) -> PersonaPayload:
        async def call() -> documents.Persona:
            tool_ids = _object_ids("Tool", [t.tool_id for t in input.tools], ("tools", "toolId"))
            choices = [
                attachments.ToolChoice(tool_id, tuple(given.channels))
                for tool_id, given in zip(tool_ids, input.tools, strict=True)
            ]
            return await attachments.set_persona_tools(
                info.context.actor,
                persona_object_id(input.persona_id, "personaId"),
                input.expected_revision,
                choices,
            )

        return await persona_payload(call)

    @strawberry.mutation
    async def set_persona_knowledge_bases(
        self, info: Info, input: SetPersonaKnowledgeBasesInput
    ) -> PersonaPayload:
        async def call() -> documents.Persona:
            given = input.knowledge_bases
            base_ids = _object_ids(
                "KnowledgeBase",
                [b.knowledge_base_id for b in given],
                ("knowledgeBases", "knowledgeBaseId"),
            )
            choices = [
                attachments.KnowledgeBaseChoice(base_id, tuple(b.channels), b.top_k)
                for base_id, b in zip(base_ids, given, strict=True)
            ]
            return await attachments.set_persona_knowledge_bases(
                info.context.actor,
                persona_object_id(input.persona_id, "personaId"),
                input.expected_revision,
                choices,
            )

        return await persona_payload(call)

"""What a snapshot attaches, over GraphQL: pinned copies in versions, the library in drafts."""

from typing import Self

import strawberry
from beanie import PydanticObjectId
from strawberry.types.unset import UNSET, UnsetType

from app.library.catalog import Channel
from app.personas import attachments, documents
from graphql_schema.context import Info
from graphql_schema.personas.attachment_inputs import (
    KnowledgeBaseAttachmentInput,
    ToolAttachmentInput,
    knowledge_base_choices,
    tool_choices,
)
from graphql_schema.personas.knowledge import KnowledgeBase, KnowledgeBaseDefinition
from graphql_schema.personas.mutations import PersonaPayload, persona_object_id, persona_payload
from graphql_schema.personas.tools import Tool, ToolDefinition


@strawberry.type
class ToolAttachment:
    tool_id: strawberry.Private[PydanticObjectId]
    # Known when the snapshot needed it anyway (a draft's definition is the tool as it is).
    current: strawberry.Private[Tool | UnsetType | None]
    definition: ToolDefinition
    channels: list[Channel]

    @strawberry.field(description="The tool as it is now; null once deleted.")
    async def tool(self, info: Info) -> Tool | None:
        if not isinstance(self.current, UnsetType):
            return self.current
        found = await info.context.tools.load((info.context.actor.workspace_id, self.tool_id))
        return Tool.from_document(found) if found else None

    @classmethod
    def of(
        cls, attachment: documents.ToolAttachment, tool: Tool | UnsetType | None = UNSET
    ) -> Self | None:
        definition = attachment.definition
        if definition is None:
            if not isinstance(tool, Tool):
                return None  # a draft never names a deleted tool; nothing to show if one did
            definition = tool.tool.definition()
        return cls(
            tool_id=attachment.tool_id,
            current=tool,
            definition=ToolDefinition.of(definition),
            channels=attachment.channels,
        )


async def tool_attachments(info: Info, snapshot: documents.Snapshot) -> list[ToolAttachment]:
    attached = snapshot.tools
    if all(a.definition is not None for a in attached):
        return [a for a in map(ToolAttachment.of, attached) if a is not None]
    workspace_id = info.context.actor.workspace_id
    found = await info.context.tools.load_many([(workspace_id, a.tool_id) for a in attached])
    shown = (
        ToolAttachment.of(attachment, Tool.from_document(tool) if tool else None)
        for attachment, tool in zip(attached, found, strict=True)
    )
    return [attachment for attachment in shown if attachment is not None]


@strawberry.input(description="Replaces the list.")
class SetPersonaToolsInput:
    persona_id: strawberry.ID
    expected_revision: int
    tools: list[ToolAttachmentInput]


@strawberry.type
class KnowledgeBaseAttachment:
    base_id: strawberry.Private[PydanticObjectId]
    # Known when the snapshot needed it anyway (a draft's definition is the base as it is).
    current: strawberry.Private[KnowledgeBase | UnsetType | None]
    definition: KnowledgeBaseDefinition
    channels: list[Channel]
    top_k: int = strawberry.field(description="1 .. 20 passages retrieved per turn.")

    @strawberry.field(description="The knowledge base as it is now; null once deleted.")
    async def knowledge_base(self, info: Info) -> KnowledgeBase | None:
        if not isinstance(self.current, UnsetType):
            return self.current
        key = (info.context.actor.workspace_id, self.base_id)
        found = await info.context.knowledge_bases.load(key)
        return KnowledgeBase.from_document(found) if found else None

    @classmethod
    def of(
        cls,
        attachment: documents.KnowledgeBaseAttachment,
        base: KnowledgeBase | UnsetType | None = UNSET,
    ) -> Self | None:
        definition = attachment.definition
        if definition is None:
            if not isinstance(base, KnowledgeBase):
                return None  # a draft never names a deleted base; nothing to show if one did
            definition = base.knowledge_base.definition()
        return cls(
            base_id=attachment.knowledge_base_id,
            current=base,
            definition=KnowledgeBaseDefinition.of(definition),
            channels=attachment.channels,
            top_k=attachment.top_k,
        )


async def knowledge_base_attachments(
    info: Info, attached: list[documents.KnowledgeBaseAttachment]
) -> list[KnowledgeBaseAttachment]:
    if all(a.definition is not None for a in attached):
        return [a for a in map(KnowledgeBaseAttachment.of, attached) if a is not None]
    workspace_id = info.context.actor.workspace_id
    keys = [(workspace_id, a.knowledge_base_id) for a in attached]
    found = await info.context.knowledge_bases.load_many(keys)
    shown = (
        KnowledgeBaseAttachment.of(attachment, KnowledgeBase.from_document(base) if base else None)
        for attachment, base in zip(attached, found, strict=True)
    )
    return [attachment for attachment in shown if attachment is not None]


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
            return await attachments.set_persona_tools(
                info.context.actor,
                persona_object_id(input.persona_id, "personaId"),
                input.expected_revision,
                list(tool_choices(input.tools)),
            )

        return await persona_payload(call)

    @strawberry.mutation
    async def set_persona_knowledge_bases(
        self, info: Info, input: SetPersonaKnowledgeBasesInput
    ) -> PersonaPayload:
        async def call() -> documents.Persona:
            return await attachments.set_persona_knowledge_bases(
                info.context.actor,
                persona_object_id(input.persona_id, "personaId"),
                input.expected_revision,
                list(knowledge_base_choices(input.knowledge_bases)),
            )

        return await persona_payload(call)

"""Inputs that attach tools and knowledge bases, converted to the domain's choices."""

import strawberry
from beanie import PydanticObjectId

from app.library.catalog import Channel
from app.personas.choices import KnowledgeBaseChoice, ToolChoice
from app.platform.errors import ErrorCode, InvalidInput, Problem
from graphql_schema import ids

BOTH = [Channel.VOICE, Channel.CHAT]


@strawberry.input
class ToolAttachmentInput:
    tool_id: strawberry.ID
    channels: list[Channel] = strawberry.field(default_factory=lambda: list(BOTH))


@strawberry.input
class KnowledgeBaseAttachmentInput:
    knowledge_base_id: strawberry.ID
    channels: list[Channel] = strawberry.field(default_factory=lambda: list(BOTH))
    top_k: int = 5


def _object_ids(kind: str, given: list[str], at: tuple[str, str]) -> list[PydanticObjectId]:
    """The ids behind global ids of `kind`; NOT_FOUND at each that is not one."""
    decoded = [ids.decode_object_id(global_id, kind) for global_id in given]
    unknown = [
        Problem((at[0], str(index), at[1]), f"{kind} not found.", ErrorCode.NOT_FOUND)
        for index, object_id in enumerate(decoded)
        if object_id is None
    ]
    if unknown:
        raise InvalidInput(unknown)
    return [object_id for object_id in decoded if object_id is not None]


def tool_choices(given: list[ToolAttachmentInput] | None) -> tuple[ToolChoice, ...]:
    given = given or []
    tool_ids = _object_ids("Tool", [t.tool_id for t in given], ("tools", "toolId"))
    return tuple(
        ToolChoice(tool_id, tuple(t.channels)) for tool_id, t in zip(tool_ids, given, strict=True)
    )


def knowledge_base_choices(
    given: list[KnowledgeBaseAttachmentInput] | None,
) -> tuple[KnowledgeBaseChoice, ...]:
    given = given or []
    at = ("knowledgeBases", "knowledgeBaseId")
    base_ids = _object_ids("KnowledgeBase", [b.knowledge_base_id for b in given], at)
    return tuple(
        KnowledgeBaseChoice(base_id, tuple(b.channels), b.top_k)
        for base_id, b in zip(base_ids, given, strict=True)
    )

"""The lists of tools and knowledge bases a draft may attach, per channel, and their rules."""

from dataclasses import dataclass

from beanie import PydanticObjectId

from app.library.catalog import Channel
from app.personas.documents import KnowledgeBaseAttachment, ToolAttachment
from app.platform.errors import Problem
from app.platform.text import Path

MAX_TOOLS = 32


@dataclass(frozen=True)
class ToolChoice:
    tool_id: PydanticObjectId
    channels: tuple[Channel, ...]


def _check_channels(channels: tuple[Channel, ...], path: Path) -> list[Problem]:
    if not channels:
        return [Problem(path, "Name at least one channel.")]
    if len(set(channels)) != len(channels):
        return [Problem(path, "Each channel may be named once.")]
    return []


def check_tools(choices: list[ToolChoice]) -> list[Problem]:
    if len(choices) > MAX_TOOLS:
        return [Problem(("tools",), f"At most {MAX_TOOLS} tools.")]
    problems: list[Problem] = []
    seen: set[PydanticObjectId] = set()
    for index, choice in enumerate(choices):
        path = ("tools", str(index))
        if choice.tool_id in seen:
            problems.append(Problem((*path, "toolId"), "Each tool may be attached once."))
        seen.add(choice.tool_id)
        problems += _check_channels(choice.channels, (*path, "channels"))
    return problems


MAX_KNOWLEDGE_BASES = 10
TOP_K = (1, 20)


@dataclass(frozen=True)
class KnowledgeBaseChoice:
    knowledge_base_id: PydanticObjectId
    channels: tuple[Channel, ...]
    top_k: int = 5


def check_knowledge_bases(choices: list[KnowledgeBaseChoice]) -> list[Problem]:
    if len(choices) > MAX_KNOWLEDGE_BASES:
        return [Problem(("knowledgeBases",), f"At most {MAX_KNOWLEDGE_BASES} knowledge bases.")]
    problems: list[Problem] = []
    seen: set[PydanticObjectId] = set()
    low, high = TOP_K
    for index, choice in enumerate(choices):
        path = ("knowledgeBases", str(index))
        if choice.knowledge_base_id in seen:
            message = "Each knowledge base may be attached once."
            problems.append(Problem((*path, "knowledgeBaseId"), message))
        seen.add(choice.knowledge_base_id)
        problems += _check_channels(choice.channels, (*path, "channels"))
        if not low <= choice.top_k <= high:
            message = f"topK must be between {low} and {high} passages."
            problems.append(Problem((*path, "topK"), message))
    return problems


def tool_attachments(choices: list[ToolChoice]) -> list[ToolAttachment]:
    return [ToolAttachment(tool_id=c.tool_id, channels=list(c.channels)) for c in choices]


def knowledge_base_attachments(choices: list[KnowledgeBaseChoice]) -> list[KnowledgeBaseAttachment]:
    return [
        KnowledgeBaseAttachment(
            knowledge_base_id=c.knowledge_base_id, channels=list(c.channels), top_k=c.top_k
        )
        for c in choices
    ]

"""Attaching the workspace's tools and knowledge bases to a persona's draft, per channel."""

from dataclasses import dataclass

from beanie import PydanticObjectId

from app.access.principal import Principal, Role
from app.library.catalog import Channel
from app.personas.documents import KnowledgeBaseAttachment, Persona, ToolAttachment
from app.personas.drafts import refuse, require_persona, write_draft
from app.personas.references import guard, missing
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


def _check_tools(choices: list[ToolChoice]) -> list[Problem]:
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


async def set_persona_tools(
    actor: Principal,
    persona_id: PydanticObjectId,
    expected_revision: int,
    choices: list[ToolChoice],
) -> Persona:
    """Replace the draft's tools, in the order given."""
    actor.require(Role.EDITOR)
    refuse(_check_tools(choices))
    persona = await require_persona(actor, persona_id, expected_revision, "personaId")
    tools = [ToolAttachment(tool_id=c.tool_id, channels=list(c.channels)) for c in choices]
    draft = persona.draft.model_copy(update={"tools": tools})
    refuse(await missing(actor.workspace_id, draft, ()))
    return await write_draft(persona, draft, guard(actor.workspace_id, draft))


MAX_KNOWLEDGE_BASES = 10
TOP_K = (1, 20)


@dataclass(frozen=True)
class KnowledgeBaseChoice:
    knowledge_base_id: PydanticObjectId
    channels: tuple[Channel, ...]
    top_k: int = 5


def _check_knowledge_bases(choices: list[KnowledgeBaseChoice]) -> list[Problem]:
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


async def set_persona_knowledge_bases(
    actor: Principal,
    persona_id: PydanticObjectId,
    expected_revision: int,
    choices: list[KnowledgeBaseChoice],
) -> Persona:
    """Replace the draft's knowledge bases, in the order given."""
    actor.require(Role.EDITOR)
    refuse(_check_knowledge_bases(choices))
    persona = await require_persona(actor, persona_id, expected_revision, "personaId")
    bases = [
        KnowledgeBaseAttachment(
            knowledge_base_id=c.knowledge_base_id, channels=list(c.channels), top_k=c.top_k
        )
        for c in choices
    ]
    draft = persona.draft.model_copy(update={"knowledge_bases": bases})
    refuse(await missing(actor.workspace_id, draft, ()))
    return await write_draft(persona, draft, guard(actor.workspace_id, draft))

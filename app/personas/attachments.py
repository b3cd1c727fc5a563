"""Attaching the workspace's tools and knowledge bases to a persona's draft, per channel."""

from dataclasses import dataclass

from beanie import PydanticObjectId

from app.access.principal import Principal, Role
from app.library.catalog import Channel
from app.personas.documents import Persona, ToolAttachment
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

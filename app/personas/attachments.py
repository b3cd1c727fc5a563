"""Attaching the workspace's tools and knowledge bases to a persona's draft, per channel."""

from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.personas.choices import (
    KnowledgeBaseChoice,
    ToolChoice,
    check_knowledge_bases,
    check_tools,
    knowledge_base_attachments,
    tool_attachments,
)
from app.personas.documents import Persona
from app.personas.references import guard, missing
from app.personas.store import refuse, require_persona, write_draft


async def set_persona_tools(
    actor: Principal,
    persona_id: PydanticObjectId,
    expected_revision: int,
    choices: list[ToolChoice],
) -> Persona:
    """Replace the draft's tools, in the order given."""
    require(actor, Operation.EDIT_DRAFT)
    refuse(check_tools(choices))
    persona = await require_persona(actor, persona_id, expected_revision, "personaId")
    draft = persona.draft.model_copy(update={"tools": tool_attachments(choices)})
    refuse(await missing(actor.workspace_id, draft, ()))
    return await write_draft(persona, draft, guard(actor.workspace_id, draft))


async def set_persona_knowledge_bases(
    actor: Principal,
    persona_id: PydanticObjectId,
    expected_revision: int,
    choices: list[KnowledgeBaseChoice],
) -> Persona:
    """Replace the draft's knowledge bases, in the order given."""
    require(actor, Operation.EDIT_DRAFT)
    refuse(check_knowledge_bases(choices))
    persona = await require_persona(actor, persona_id, expected_revision, "personaId")
    bases = knowledge_base_attachments(choices)
    draft = persona.draft.model_copy(update={"knowledge_bases": bases})
    refuse(await missing(actor.workspace_id, draft, ()))
    return await write_draft(persona, draft, guard(actor.workspace_id, draft))

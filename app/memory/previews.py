"""Persona.preview with contact memory: the draft's memory space, for roles that may read it."""

from collections.abc import Mapping

from app.access.permissions import Operation, allowed
from app.access.principal import Principal
from app.memory.recall import ContactMemory, recall_for, template_value
from app.personas import resolution
from app.personas.documents import Persona
from app.personas.resolution import CallStart, Resolution
from app.platform.clock import utcnow


async def preview(
    actor: Principal,
    persona: Persona,
    call: CallStart,
    environment_values: Mapping[str, object] | None = None,
) -> tuple[Resolution | None, ContactMemory | None]:
    """The draft resolved as the next publish would be, with the memory its call would get.

    Stored memory is read only for roles that may read contact memory. `environment_values`
    are those of the call's environment, looked up by the caller (release knows them)."""
    memory = None
    if persona.id is not None and allowed(actor.role, Operation.READ_CONTACT_MEMORY):
        memory = await recall_for(
            actor.workspace_id, persona.id, persona.draft, call.contact_id, utcnow()
        )
    answer = await resolution.preview(persona, call, template_value(memory), environment_values)
    return answer, memory

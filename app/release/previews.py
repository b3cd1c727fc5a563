"""Persona.preview in an environment: the draft rendered with that environment's values."""

from app.access.principal import Principal
from app.memory import previews
from app.memory.recall import ContactMemory
from app.personas.documents import Persona
from app.personas.resolution import CallStart, Resolution, UnknownEnvironment
from app.release.environments import find_environment


async def preview(
    actor: Principal, persona: Persona, call: CallStart
) -> tuple[Resolution | None, ContactMemory | None]:
    """What app.memory.previews answers, in the call's environment; UnknownEnvironment when
    the workspace has none of that name. The draft is deployed nowhere, so any environment
    that exists previews it, as the next deploy there would serve it."""
    environment = await find_environment(actor.workspace_id, call.environment)
    if environment is None:
        raise UnknownEnvironment(call.environment)
    return await previews.preview(actor, persona, call, environment.variables)

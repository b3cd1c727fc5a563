"""What a live call or chat runs with: production, from memory where the process can, and the
contact's memory, from the database at every call start."""

from dataclasses import dataclass
from datetime import datetime

from beanie import PydanticObjectId

from app.access.permissions import Operation, allowed, require
from app.access.principal import Principal
from app.memory.recall import ContactMemory, recall_for, template_value
from app.personas.documents import Production
from app.personas.reads import find_persona
from app.personas.resolution import (
    PRODUCTION,
    CallStart,
    Resolution,
    UnknownEnvironment,
    resolve,
)
from app.platform.clock import utcnow
from app.platform.database import is_unavailable
from app.release.environments import environment_for_call
from app.release.livecache import ProductionCache


@dataclass(frozen=True)
class LiveAnswer:
    resolution: Resolution | None  # None before the first publish
    # Set when served from memory while the database is away: since when it may be behind.
    stale_since: datetime | None = None
    # The contact's memory, when the version has memory on, the call names a contact and
    # the caller may read memory; None otherwise.
    contact_memory: ContactMemory | None = None


async def _memory(
    actor: Principal, persona_id: PydanticObjectId, production: Production, call: CallStart
) -> ContactMemory | None:
    # Roles that may not read memory get none, in the rendered prompt as in the answer.
    if not allowed(actor.role, Operation.READ_CONTACT_MEMORY):
        return None
    snapshot = production.snapshot
    try:
        return await recall_for(actor.workspace_id, persona_id, snapshot, call.contact_id, utcnow())
    except Exception as error:
        # A call start served stale through an outage goes on without memory.
        if not is_unavailable(error):
            raise
        return None


async def live_configuration(
    actor: Principal,
    persona_id: PydanticObjectId,
    call: CallStart,
    productions: ProductionCache | None = None,
) -> LiveAnswer:
    """Production resolved for this call start.

    Raises UnknownEnvironment, and what `resolve` raises when the values cannot render.
    """
    require(actor, Operation.LIVE_CONFIGURATION)
    down = productions is not None and productions.down_since() is not None
    environment = await environment_for_call(actor.workspace_id, call.environment, down)
    if environment is None:
        raise UnknownEnvironment(call.environment)
    if call.environment != PRODUCTION:
        return LiveAnswer(None)  # nothing is deployed beside production yet
    stale_since = None
    if productions is not None:
        production, stale_since = await productions.read(actor.workspace_id, persona_id)
    else:
        persona = await find_persona(actor.workspace_id, persona_id)
        production = persona.production if persona else None
    if production is None:
        return LiveAnswer(None)
    # While the database is believed gone, a call start served stale does not wait for it.
    database_down = productions is not None and productions.down_since() is not None
    memory = None if database_down else await _memory(actor, persona_id, production, call)
    resolution = resolve(
        persona_id,
        production.version,
        production.snapshot,
        call,
        memory=template_value(memory),
        environment_values=environment.variables,
    )
    return LiveAnswer(resolution, stale_since, memory)

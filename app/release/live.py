"""What a live call or chat runs with: production, from memory where the process can."""

from beanie import PydanticObjectId

from app.access.principal import Principal
from app.personas.reads import find_persona
from app.personas.resolution import CallStart, Resolution, check_environment, resolve
from app.release.livecache import ProductionCache


async def live_configuration(
    actor: Principal,
    persona_id: PydanticObjectId,
    call: CallStart,
    productions: ProductionCache | None = None,
) -> Resolution | None:
    """Production resolved for this call start; None before the first publish.

    Raises UnknownEnvironment, and what `resolve` raises when the values cannot render.
    """
    check_environment(call)
    if productions is not None:
        production = await productions.get(actor.workspace_id, persona_id)
    else:
        persona = await find_persona(actor.workspace_id, persona_id)
        production = persona.production if persona else None
    if production is None:
        return None
    return resolve(persona_id, production.version, production.snapshot, call)

"""What a live call or chat runs with: production, from memory where the process can."""

from dataclasses import dataclass
from datetime import datetime

from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.personas.reads import find_persona
from app.personas.resolution import CallStart, Resolution, check_environment, resolve
from app.release.livecache import ProductionCache


@dataclass(frozen=True)
class LiveAnswer:
    resolution: Resolution | None  # None before the first publish
    # Set when served from memory while the database is away: since when it may be behind.
    stale_since: datetime | None = None


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
    check_environment(call)
    stale_since = None
    if productions is not None:
        production, stale_since = await productions.read(actor.workspace_id, persona_id)
    else:
        persona = await find_persona(actor.workspace_id, persona_id)
        production = persona.production if persona else None
    if production is None:
        return LiveAnswer(None)
    resolution = resolve(persona_id, production.version, production.snapshot, call)
    return LiveAnswer(resolution, stale_since)

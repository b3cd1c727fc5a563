"""What a live call or chat runs with: production, from memory where the process can."""

from beanie import PydanticObjectId

from app.access.principal import Principal
from app.personas.reads import find_persona
from app.personas.resolution import PRODUCTION, CallStart, Resolution, resolve
from app.release.livecache import ProductionCache


class UnknownEnvironment(Exception):
    """The call names an environment the workspace does not have."""

    def __init__(self, name: str) -> None:
        super().__init__(f"The workspace has no environment {name[:64]!r}.")


async def live_configuration(
    actor: Principal,
    persona_id: PydanticObjectId,
    call: CallStart,
    productions: ProductionCache | None = None,
) -> Resolution | None:
    """Production resolved for this call start; None before the first publish.

    Raises UnknownEnvironment, and what `resolve` raises when the values cannot render.
    """
    # Environments beside production come with releases; until then there is one.
    if call.environment != PRODUCTION:
        raise UnknownEnvironment(call.environment)
    if productions is not None:
        production = await productions.get(actor.workspace_id, persona_id)
    else:
        persona = await find_persona(actor.workspace_id, persona_id)
        production = persona.production if persona else None
    if production is None:
        return None
    return resolve(persona_id, production.version, production.snapshot, call)

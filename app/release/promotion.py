"""Deploying an existing version to an environment: the version tested in staging, exactly,
pinned tools and knowledge bases included, goes to production."""

from dataclasses import dataclass

from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.personas.documents import Persona
from app.personas.errors import PersonaNotFound, VersionNotFound
from app.personas.reads import get_version
from app.personas.store import get_persona, refuse
from app.personas.validation import check_note
from app.platform.clock import utcnow
from app.release.deployments import (
    LOST,
    Change,
    DeploymentConflict,
    Lost,
    commit,
    find_deployment,
    serving,
)
from app.release.documents import ChangeKind, Deployment
from app.release.environments import require_environment
from app.release.events import notify_local_change
from app.release.livecache import learn_here


@dataclass(frozen=True)
class Target:
    """A persona and what one of its environments serves, read together for a change."""

    persona: Persona
    environment: str
    current: Deployment | None


async def read_target(actor: Principal, persona_id: PydanticObjectId, environment: str) -> Target:
    """The persona and its deployment in `environment`; refusals for either missing."""
    await require_environment(actor.workspace_id, environment)
    persona = await get_persona(actor, persona_id)
    if persona is None:
        raise PersonaNotFound(("personaId",))
    current = await find_deployment(actor.workspace_id, persona_id, environment)
    return Target(persona, environment, current)


async def land(change: Change) -> tuple[Persona, Deployment]:
    """Commit a change that was asked for against a state: losing a race is CONFLICT."""
    try:
        persona, deployment, record = await commit(change)
    except Lost:
        raise DeploymentConflict(LOST.format(change.environment)) from None
    learn_here(deployment.persona_id, deployment.environment, deployment.serial)
    notify_local_change(record, persona)
    return persona, deployment


async def deploy_persona_version(
    actor: Principal,
    persona_id: PydanticObjectId,
    version: int,
    environment: str,
    note: str | None,
) -> tuple[Persona, Deployment]:
    """Serve published `version` in `environment`; deploying what it serves changes nothing."""
    require(actor, Operation.DEPLOY)
    refuse(check_note(note, ("note",)))
    target = await read_target(actor, persona_id, environment)
    found = await get_version(persona_id, version)
    if found is None:
        raise VersionNotFound(version)
    current = target.current
    if current is not None and current.rollout is not None:
        raise DeploymentConflict(
            f"A rollout is running in {environment}: complete or abort it first."
        )
    if current is not None and current.version == version:
        return target.persona, current
    change = serving(
        target.persona,
        environment,
        current,
        found.as_production(),
        ChangeKind.DEPLOYED,
        actor.name,
        note,
        utcnow(),
    )
    return await land(change)

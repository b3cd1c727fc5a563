"""Percentage rollouts: a candidate version for `percent` % of contacts, the deployed one for
the rest (who gets which: app.release.arms). One runs per persona and environment at a time.
"""

from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.personas.documents import Persona
from app.personas.errors import VersionNotFound
from app.personas.reads import get_version
from app.personas.store import refuse
from app.personas.validation import check_note
from app.platform.clock import utcnow
from app.platform.errors import Problem
from app.release.deployments import Change, DeploymentConflict, next_state, serving
from app.release.documents import ChangeKind, Deployment, Rollout
from app.release.promotion import Target, land, read_target


def _check_percent(percent: int) -> None:
    if not 0 <= percent <= 100:
        refuse([Problem(("percent",), "Percent must be between 0 and 100.")])


def _running(target: Target) -> tuple[Deployment, Rollout]:
    current = target.current
    if current is None or current.rollout is None:
        raise DeploymentConflict(f"No rollout is running in {target.environment}.")
    return current, current.rollout


async def start_rollout(
    actor: Principal,
    persona_id: PydanticObjectId,
    environment: str,
    version: int,
    percent: int,
    note: str | None,
) -> tuple[Persona, Deployment]:
    require(actor, Operation.ROLLOUT)
    _check_percent(percent)
    refuse(check_note(note, ("note",)))
    target = await read_target(actor, persona_id, environment)
    if await get_version(persona_id, version) is None:
        raise VersionNotFound(version)
    current = target.current
    if current is None:
        raise DeploymentConflict(
            f"Nothing is deployed to {environment}: publish or deploy a version first."
        )
    if current.rollout is not None:
        raise DeploymentConflict(f"A rollout is already running in {environment}.")
    if current.version == version:
        raise DeploymentConflict(
            f"Version {version} is what {environment} serves already: roll out another.",
            ("version",),
        )
    rollout = Rollout(
        version=version, percent=percent, started_at=utcnow(), started_by=actor.name, note=note
    )
    change = Change(
        persona=target.persona,
        environment=environment,
        current=current,
        after=next_state(current, rollout=rollout),
        kind=ChangeKind.ROLLOUT_STARTED,
        by=actor.name,
        note=note,
    )
    return await land(change)


async def set_rollout_percent(
    actor: Principal, persona_id: PydanticObjectId, environment: str, percent: int
) -> tuple[Persona, Deployment]:
    require(actor, Operation.ROLLOUT)
    _check_percent(percent)
    target = await read_target(actor, persona_id, environment)
    current, rollout = _running(target)
    if rollout.percent == percent:
        return target.persona, current
    change = Change(
        persona=target.persona,
        environment=environment,
        current=current,
        after=next_state(current, rollout=rollout.model_copy(update={"percent": percent})),
        kind=ChangeKind.ROLLOUT_CHANGED,
        by=actor.name,
    )
    return await land(change)


async def complete_rollout(
    actor: Principal, persona_id: PydanticObjectId, environment: str
) -> tuple[Persona, Deployment]:
    """The candidate becomes the deployed version, for everyone."""
    require(actor, Operation.ROLLOUT)
    target = await read_target(actor, persona_id, environment)
    current, rollout = _running(target)
    candidate = await get_version(persona_id, rollout.version)
    if candidate is None:  # versions are never deleted while the persona lives
        raise VersionNotFound(rollout.version)
    change = serving(
        target.persona,
        environment,
        current,
        candidate.as_production(),
        ChangeKind.ROLLOUT_COMPLETED,
        actor.name,
        rollout.note,
        utcnow(),
    )
    return await land(change)


async def abort_rollout(
    actor: Principal, persona_id: PydanticObjectId, environment: str
) -> tuple[Persona, Deployment]:
    """Everyone back on the deployed version."""
    require(actor, Operation.ROLLOUT)
    target = await read_target(actor, persona_id, environment)
    current, _ = _running(target)
    change = Change(
        persona=target.persona,
        environment=environment,
        current=current,
        after=next_state(current, rollout=None),
        kind=ChangeKind.ROLLOUT_ABORTED,
        by=actor.name,
    )
    return await land(change)

"""Publishing the draft, or an earlier version again, into an environment.

Each makes the persona's next version: the unique (persona, version) index and the commit's
condition on the deployment's serial keep version numbers one contiguous sequence when
publishes race; a publish that lost a race is planned again from a fresh read.
"""

import asyncio
import dataclasses
import random

from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.personas.documents import Persona, PersonaVersion, Snapshot
from app.personas.errors import (
    Contended,
    NothingToPublish,
    NotPublishable,
    PersonaNotFound,
    VersionNotFound,
)
from app.personas.readiness import readiness
from app.personas.reads import get_version
from app.personas.store import get_persona, refuse, require_persona
from app.personas.validation import check_note
from app.platform.clock import utcnow
from app.platform.errors import ErrorCode
from app.release.deployments import (
    Change,
    DeploymentConflict,
    Lost,
    commit,
    find_deployment,
    served_version,
    serving,
)
from app.release.documents import PRODUCTION, ChangeKind, Deployment
from app.release.environments import require_environment
from app.release.events import notify_local_change
from app.release.livecache import learn_here

# Each lost race means another publish won, so contenders finish one per round; the jitter
# keeps them from colliding in lockstep.
ATTEMPTS = 50


async def _back_off() -> None:
    await asyncio.sleep(random.uniform(0, 0.02))


def _next_version(
    persona: Persona,
    snapshot: Snapshot,
    digest: str,
    note: str | None,
    by: str,
    rollback: bool,
    environment: str,
) -> PersonaVersion:
    return PersonaVersion(
        id=PydanticObjectId(),
        persona_id=persona.id,
        version=persona.newest_version + 1,
        snapshot=snapshot,
        digest=digest,
        published_at=utcnow(),
        published_by=by,
        note=note,
        from_rollback=rollback,
        environment=environment,
    )


def _refuse_during_rollout(current: Deployment | None, environment: str) -> None:
    if current is not None and current.rollout is not None:
        raise DeploymentConflict(
            f"A rollout is running in {environment}: complete or abort it first."
        )


async def publish_persona(
    actor: Principal,
    persona_id: PydanticObjectId,
    expected_revision: int,
    note: str | None,
    environment: str = PRODUCTION,
    schedule_id: PydanticObjectId | None = None,
) -> tuple[Persona, PersonaVersion]:
    """Make the draft at `expected_revision` the next version, served by `environment`."""
    require(actor, Operation.PUBLISH)
    refuse(check_note(note, ("note",)))
    for _ in range(ATTEMPTS):
        # Asked again each round: a deleted environment is a refusal, not a race to retry.
        await require_environment(actor.workspace_id, environment)
        persona = await require_persona(actor, persona_id, expected_revision, "personaId")
        current = await find_deployment(actor.workspace_id, persona_id, environment)
        _refuse_during_rollout(current, environment)
        serving = await served_version(persona, current)
        where = None if environment == PRODUCTION else environment
        ready = await readiness(persona, serving, where)
        if ready.problems and ready.problems[0].code is ErrorCode.NOTHING_TO_PUBLISH:
            raise NothingToPublish(ready.problems[0].message)
        if ready.problems:
            raise NotPublishable(ready.problems)
        version = _next_version(
            persona, ready.pinned, persona.draft_digest, note, actor.name, False, environment
        )
        change = dataclasses.replace(
            _publishing(persona, current, version, environment, ChangeKind.PUBLISHED),
            draft_read=True,
            schedule_id=schedule_id,
        )
        stored = await _commit(change)
        if stored is not None:
            return stored, version
        await _back_off()
    raise Contended()


async def rollback_persona(
    actor: Principal,
    persona_id: PydanticObjectId,
    version: int,
    note: str | None,
    environment: str = PRODUCTION,
) -> tuple[Persona, PersonaVersion]:
    """Publish an earlier version again, at once, as the next version; the draft stays as it is.

    The emergency path: it needs no expected revision, since draft edits don't matter to it,
    and it ends a rollout running in the environment, everyone going to the version it makes.
    """
    require(actor, Operation.ROLLBACK)
    refuse(check_note(note, ("note",)))
    target = await get_version(persona_id, version)
    for _ in range(ATTEMPTS):
        await require_environment(actor.workspace_id, environment)
        persona = await get_persona(actor, persona_id)
        if persona is None:
            raise PersonaNotFound(("personaId",))
        if target is None:
            raise VersionNotFound(version)
        current = await find_deployment(actor.workspace_id, persona_id, environment)
        serving = await served_version(persona, current)
        rollout = current is not None and current.rollout is not None
        if serving is not None and serving.digest == target.digest and not rollout:
            raise NothingToPublish(
                f"{environment.capitalize()} already runs what version {version} published."
            )
        rolled_back = _next_version(
            persona, target.snapshot, target.digest, note, actor.name, True, environment
        )
        stored = await _commit(
            _publishing(persona, current, rolled_back, environment, ChangeKind.ROLLED_BACK)
        )
        if stored is not None:
            return stored, rolled_back
        await _back_off()
    raise Contended()


def _publishing(
    persona: Persona,
    current: Deployment | None,
    version: PersonaVersion,
    environment: str,
    kind: ChangeKind,
) -> Change:
    return serving(
        persona,
        environment,
        current,
        version.as_production(),
        kind,
        version.published_by,
        version.note,
        version.published_at,
        version,
    )


async def _commit(change: Change) -> Persona | None:
    """Commit, and tell this process's subscribers and caches; None: lost, plan again."""
    try:
        moved, deployment, record = await commit(change)
    except Lost:
        return None
    learn_here(deployment.persona_id, deployment.environment, deployment.serial)
    notify_local_change(record, moved, change.version)
    return moved

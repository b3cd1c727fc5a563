"""Moving production: publish the draft, or roll back to an earlier version.

A version insert and the move of production happen in one transaction, so production
never points at a version that was not written; the unique (persona, version) index
and the condition on the current production version keep version numbers contiguous
when publishes and rollbacks race.
"""

import asyncio
import random

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError, OperationFailure

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
from app.personas.store import as_read, changed_fields, get_persona, refuse, require_persona
from app.personas.validation import check_note
from app.platform.clock import utcnow
from app.platform.errors import ErrorCode
from app.release.events import notify_local
from app.release.livecache import learn_here

# Each lost race means another publish won, so contenders finish one per round; the jitter
# keeps them from colliding in lockstep.
ATTEMPTS = 50


async def _back_off() -> None:
    await asyncio.sleep(random.uniform(0, 0.02))


def _next_version(
    persona: Persona, snapshot: Snapshot, digest: str, note: str | None, by: str, rollback: bool
) -> PersonaVersion:
    return PersonaVersion(
        id=PydanticObjectId(),
        persona_id=persona.id,
        version=(persona.production.version if persona.production else 0) + 1,
        snapshot=snapshot,
        digest=digest,
        published_at=utcnow(),
        published_by=by,
        note=note,
        from_rollback=rollback,
    )


async def publish_persona(
    actor: Principal, persona_id: PydanticObjectId, expected_revision: int, note: str | None
) -> tuple[Persona, PersonaVersion]:
    """Make the draft at `expected_revision` the next production version."""
    require(actor, Operation.PUBLISH)
    refuse(check_note(note, ("note",)))
    for _ in range(ATTEMPTS):
        persona = await require_persona(actor, persona_id, expected_revision, "personaId")
        ready = await readiness(persona)
        if ready.problems and ready.problems[0].code is ErrorCode.NOTHING_TO_PUBLISH:
            raise NothingToPublish()
        if ready.problems:
            raise NotPublishable(ready.problems)
        version = _next_version(
            persona, ready.pinned, persona.draft_digest, note, actor.name, rollback=False
        )
        stored = await _commit(persona, version)
        if stored is not None:
            return stored, version
        await _back_off()
    raise Contended()


async def rollback_persona(
    actor: Principal, persona_id: PydanticObjectId, version: int, note: str | None
) -> tuple[Persona, PersonaVersion]:
    """Publish an earlier version again, at once, as the next version; the draft stays as it is.

    The emergency path: it needs no expected revision, since draft edits don't matter to it.
    """
    require(actor, Operation.ROLLBACK)
    refuse(check_note(note, ("note",)))
    target = await get_version(persona_id, version)
    for _ in range(ATTEMPTS):
        persona = await get_persona(actor, persona_id)
        if persona is None:
            raise PersonaNotFound(("personaId",))
        if target is None:
            raise VersionNotFound(version)
        if persona.production is not None and persona.production.digest == target.digest:
            raise NothingToPublish(f"Production already runs what version {version} published.")
        rolled_back = _next_version(
            persona, target.snapshot, target.digest, note, actor.name, rollback=True
        )
        stored = await _commit(persona, rolled_back)
        if stored is not None:
            return stored, rolled_back
        await _back_off()
    raise Contended()


PRODUCTION_FIELDS = ("production", "updated_at")


async def _commit(persona: Persona, version: PersonaVersion) -> Persona | None:
    """Insert `version` and point production at it, or neither (None: retry from a fresh read).

    The move is conditioned on the revision and production version that were read, so the
    persona returned is computed here, exactly as stored, without reading it back.
    """
    moved: Persona = persona.model_copy(
        update={"production": version.as_production(), "updated_at": version.published_at}
    )
    personas = Persona.get_pymongo_collection()
    versions = PersonaVersion.get_pymongo_collection()
    async with personas.database.client.start_session() as session:
        try:
            async with await session.start_transaction():
                await versions.insert_one(version.model_dump(by_alias=True), session=session)
                result = await personas.update_one(
                    as_read(persona), changed_fields(moved, PRODUCTION_FIELDS), session=session
                )
                if not result.matched_count:
                    await session.abort_transaction()
                    return None
        except DuplicateKeyError:
            return None
        except OperationFailure as exc:
            if exc.has_error_label("TransientTransactionError"):
                return None
            raise
    learn_here(moved)
    notify_local(version, moved)
    return moved

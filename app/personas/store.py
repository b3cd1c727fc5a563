"""The one way a draft is written: read it, check it, then one conditional update on
{workspace, _id, revision, production version} that bumps the revision, so a concurrent
edit can never be lost. Every draft writer goes through `write_draft`.
"""

from typing import Any

from beanie import PydanticObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from app.access.principal import Principal
from app.personas.documents import (
    DERIVED_FIELDS,
    Persona,
    Snapshot,
)
from app.personas.errors import PersonaNotFound, RevisionMismatch
from app.personas.reads import find_persona
from app.personas.references import Guard
from app.platform.clock import utcnow
from app.platform.errors import InvalidInput, Problem
from app.platform.transactions import run_transaction


def refuse(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(problems)


def _collection() -> AsyncCollection[dict[str, Any]]:
    return Persona.get_pymongo_collection()


async def get_persona(actor: Principal, persona_id: PydanticObjectId) -> Persona | None:
    """The persona, if it exists in the caller's workspace: others' look like missing ones."""
    return await find_persona(actor.workspace_id, persona_id)


async def require_persona(
    actor: Principal, persona_id: PydanticObjectId, expected_revision: int, path: str
) -> Persona:
    persona = await get_persona(actor, persona_id)
    if persona is None:
        raise PersonaNotFound((path,))
    if persona.revision != expected_revision:
        raise RevisionMismatch(expected_revision, persona.revision)
    return persona


def as_read(persona: Persona) -> dict[str, Any]:
    """The condition a write of `persona` needs: nobody changed the draft or production since."""
    return {
        "workspace_id": persona.workspace_id,
        "_id": persona.id,
        "revision": persona.revision,
        "production.version": persona.production.version if persona.production else None,
    }


def changed_fields(persona: Persona, names: tuple[str, ...]) -> dict[str, Any]:
    """`$set` for these fields of `persona`, derived ones (status, search) recomputed."""
    stored = persona.stored()
    return {"$set": {name: stored[name] for name in (*names, *DERIVED_FIELDS)}}


DRAFT_FIELDS = ("draft", "draft_digest", "revision", "updated_at")


async def write_draft(persona: Persona, draft: Snapshot, guard: Guard | None = None) -> Persona:
    """Replace the draft if nobody changed it since `persona` was read; a no-op writes nothing.

    One conditional update; the stored document is computed here, not read back, which the
    condition on revision and production version makes exact. With a `guard`, the update
    runs in a transaction after it (attachments guard the tools they name).
    """
    # Digests, not ==: dict equality ignores the locale order, which decides the fallback locale.
    if draft.digest() == persona.draft_digest:
        return persona
    while True:
        written: Persona = persona.model_copy(
            update={
                "draft": draft,
                "draft_digest": draft.digest(),
                "revision": persona.revision + 1,
                "updated_at": utcnow(),
            }
        )
        if await _update(as_read(persona), changed_fields(written, DRAFT_FIELDS), guard):
            return written
        assert persona.id is not None
        current = await find_persona(persona.workspace_id, persona.id)
        if current is None:
            raise PersonaNotFound()
        if current.revision != persona.revision:
            raise RevisionMismatch(persona.revision, current.revision)
        persona = current  # only production moved under us: the same edit still applies


async def _update(condition: dict[str, Any], change: dict[str, Any], guard: Guard | None) -> bool:
    personas = _collection()
    if guard is None:
        return (await personas.update_one(condition, change)).matched_count == 1

    async def guarded(session: AsyncClientSession) -> bool:
        await guard(session)
        result = await personas.update_one(condition, change, session=session)
        return result.matched_count == 1

    return await run_transaction(personas.database.client, guarded, path=("personaId",))

"""The persona service: one function per operation, every versioning rule in one place.

Draft writes are optimistic: read, validate, then one conditional update on
{workspace, _id, revision, production version} that bumps the revision, so a concurrent
edit can never be lost.
"""

from dataclasses import dataclass
from typing import Any

from beanie import PydanticObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from app.access.documents import Workspace
from app.access.principal import Principal, Role
from app.library.catalog import load_catalog
from app.library.locales import InvalidLocale, canonical_locale
from app.personas.documents import (
    DERIVED_FIELDS,
    ChatConfiguration,
    Persona,
    PersonaVersion,
    Snapshot,
    VoiceConfiguration,
)
from app.personas.errors import NothingToPublish, PersonaNotFound, RevisionMismatch, VersionNotFound
from app.personas.reads import find_persona, get_version
from app.personas.references import Guard, draft_form, guard, missing
from app.personas.validation import MAX_NAME, check_chat, check_voice, check_voices
from app.personas.variables import VariableDefinition, check_variables
from app.platform.clock import utcnow
from app.platform.errors import ErrorCode, InvalidInput, Problem
from app.platform.text import Path, check_name
from app.platform.transactions import run_transaction


@dataclass(frozen=True)
class NewPersona:
    name: str
    memory: bool = False
    voice_configurations: tuple[VoiceConfiguration, ...] = ()
    chat_configuration: ChatConfiguration | None = None
    variables: tuple[VariableDefinition, ...] = ()


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


async def create_persona(actor: Principal, spec: NewPersona) -> Persona:
    actor.require(Role.EDITOR)
    catalog = load_catalog()
    name, problems = check_name(spec.name, ("name",), "Name", MAX_NAME)
    voices, found = check_voices(list(spec.voice_configurations), ("voiceConfigurations",), catalog)
    problems += found
    if spec.chat_configuration is not None:
        problems += check_chat(spec.chat_configuration, ("chatConfiguration",), catalog)
    problems += check_variables(spec.variables, ("variables",))
    refuse(problems)
    draft = Snapshot(
        name=name,
        memory=spec.memory,
        voice_configurations=voices,
        chat_configuration=spec.chat_configuration,
        variables=list(spec.variables),
    )
    personas = _collection()
    workspaces = Workspace.get_pymongo_collection()

    async def insert(session: AsyncClientSession) -> Persona:
        counters = await workspaces.find_one_and_update(
            {"_id": actor.workspace_id},
            {"$inc": {"persona_seq": 1, "persona_count": 1}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if counters is None:
            raise PersonaNotFound()  # the caller's workspace is gone
        persona = Persona(
            id=PydanticObjectId(),
            workspace_id=actor.workspace_id,
            seq=counters["persona_seq"],
            draft=draft,
            draft_digest=draft.digest(),
        )
        await personas.insert_one(persona.stored(), session=session)
        return persona

    return await run_transaction(personas.database.client, insert, path=())


async def update_persona(
    actor: Principal,
    persona_id: PydanticObjectId,
    expected_revision: int,
    name: str | None = None,
    memory: bool | None = None,
) -> Persona:
    actor.require(Role.EDITOR)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"], problems = check_name(name, ("name",), "Name", MAX_NAME)
        refuse(problems)
    persona = await require_persona(actor, persona_id, expected_revision, "id")
    if memory is not None:
        changes["memory"] = memory
    return await write_draft(persona, persona.draft.model_copy(update=changes))


async def set_voice_configuration(
    actor: Principal,
    persona_id: PydanticObjectId,
    expected_revision: int,
    config: VoiceConfiguration,
) -> Persona:
    """Add the configuration for its locale, or replace the one already there."""
    actor.require(Role.EDITOR)
    config, problems = check_voice(config, ("configuration",), load_catalog())
    refuse(problems)
    persona = await require_persona(actor, persona_id, expected_revision, "personaId")
    voices = {**persona.draft.voice_configurations, config.locale: config}
    return await write_draft(
        persona, persona.draft.model_copy(update={"voice_configurations": voices})
    )


async def remove_voice_configuration(
    actor: Principal, persona_id: PydanticObjectId, expected_revision: int, locale: str
) -> Persona:
    actor.require(Role.EDITOR)
    try:
        locale = canonical_locale(locale)
    except InvalidLocale as exc:
        raise InvalidInput([Problem(("locale",), f"{exc}.")]) from None
    persona = await require_persona(actor, persona_id, expected_revision, "personaId")
    voices = dict(persona.draft.voice_configurations)
    if voices.pop(locale, None) is None:
        message = f"The draft has no voice configuration for {locale}."
        raise InvalidInput([Problem(("locale",), message, ErrorCode.NOT_FOUND)])
    return await write_draft(
        persona, persona.draft.model_copy(update={"voice_configurations": voices})
    )


async def set_chat_configuration(
    actor: Principal,
    persona_id: PydanticObjectId,
    expected_revision: int,
    config: ChatConfiguration | None,
) -> Persona:
    """Set the chat configuration; None removes it."""
    actor.require(Role.EDITOR)
    if config is not None:
        refuse(check_chat(config, ("configuration",), load_catalog()))
    persona = await require_persona(actor, persona_id, expected_revision, "personaId")
    return await write_draft(
        persona, persona.draft.model_copy(update={"chat_configuration": config})
    )


async def set_persona_variables(
    actor: Principal,
    persona_id: PydanticObjectId,
    expected_revision: int,
    variables: list[VariableDefinition],
) -> Persona:
    """Replace the draft's variables with this list, in its order."""
    actor.require(Role.EDITOR)
    refuse(check_variables(variables, ("variables",)))
    persona = await require_persona(actor, persona_id, expected_revision, "personaId")
    return await write_draft(persona, persona.draft.model_copy(update={"variables": variables}))


async def delete_persona(actor: Principal, persona_id: PydanticObjectId) -> None:
    """Delete the persona and its published history, together."""
    actor.require(Role.EDITOR)
    personas = _collection()
    versions = PersonaVersion.get_pymongo_collection()
    workspaces = Workspace.get_pymongo_collection()

    async def remove(session: AsyncClientSession) -> None:
        deleted = await personas.delete_one(
            {"workspace_id": actor.workspace_id, "_id": persona_id}, session=session
        )
        if deleted.deleted_count == 0:
            raise PersonaNotFound()
        await versions.delete_many({"persona_id": persona_id}, session=session)
        await workspaces.update_one(
            {"_id": actor.workspace_id}, {"$inc": {"persona_count": -1}}, session=session
        )

    await run_transaction(personas.database.client, remove, path=("id",))


async def discard_draft(
    actor: Principal, persona_id: PydanticObjectId, expected_revision: int
) -> Persona:
    """Make the draft production again."""
    actor.require(Role.PUBLISHER)
    persona = await require_persona(actor, persona_id, expected_revision, "personaId")
    if persona.production is None:
        raise NothingToPublish(
            "The persona was never published: there is no production to restore."
        )
    return await _draft_from(persona, persona.production.snapshot, ("personaId",))


async def restore_persona_version(
    actor: Principal, persona_id: PydanticObjectId, expected_revision: int, version: int
) -> Persona:
    """Make the draft a copy of a published version; production is untouched."""
    actor.require(Role.PUBLISHER)
    persona = await require_persona(actor, persona_id, expected_revision, "personaId")
    found = await get_version(persona_id, version)
    if found is None:
        raise VersionNotFound(version)
    return await _draft_from(persona, found.snapshot, ("version",))


async def _draft_from(persona: Persona, published: Snapshot, path: Path) -> Persona:
    """The draft made a copy of a published snapshot, if the library still holds what it names."""
    draft = draft_form(published)
    gone = await missing(persona.workspace_id, draft, ())
    if gone:
        message = f"{len(gone)} of the tools and knowledge bases it attached were deleted since."
        raise InvalidInput([Problem(path, message, ErrorCode.NOT_FOUND)])
    return await write_draft(persona, draft, guard(persona.workspace_id, draft))

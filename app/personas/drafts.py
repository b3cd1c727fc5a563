"""The persona service: one function per operation, every versioning rule in one place.

Each edit checks its input, reads the persona at the caller's revision and writes the new
draft through the store's one conditional write.
"""

from dataclasses import dataclass
from typing import Any

from beanie import PydanticObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from app.access.documents import Workspace
from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.library.catalog import load_catalog
from app.library.locales import InvalidLocale, canonical_locale
from app.personas.choices import (
    KnowledgeBaseChoice,
    ToolChoice,
    check_knowledge_bases,
    check_tools,
    knowledge_base_attachments,
    tool_attachments,
)
from app.personas.documents import (
    ChatConfiguration,
    Persona,
    PersonaVersion,
    Snapshot,
    VoiceConfiguration,
)
from app.personas.errors import NothingToPublish, PersonaNotFound, VersionNotFound
from app.personas.memory_policy import MemoryPolicy, check_policy
from app.personas.reads import get_version
from app.personas.references import draft_form, guard, missing
from app.personas.store import refuse, require_persona, write_draft
from app.personas.validation import MAX_NAME, check_chat, check_voice, check_voices
from app.personas.variables import VariableDefinition, check_variables
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
    tools: tuple[ToolChoice, ...] = ()
    knowledge_bases: tuple[KnowledgeBaseChoice, ...] = ()


async def create_persona(actor: Principal, spec: NewPersona) -> Persona:
    require(actor, Operation.EDIT_DRAFT)
    catalog = load_catalog()
    name, problems = check_name(spec.name, ("name",), "Name", MAX_NAME)
    voices, found = check_voices(list(spec.voice_configurations), ("voiceConfigurations",), catalog)
    problems += found
    if spec.chat_configuration is not None:
        problems += check_chat(spec.chat_configuration, ("chatConfiguration",), catalog)
    problems += check_variables(spec.variables, ("variables",))
    problems += check_tools(list(spec.tools))
    problems += check_knowledge_bases(list(spec.knowledge_bases))
    refuse(problems)
    draft = Snapshot(
        name=name,
        memory=spec.memory,
        voice_configurations=voices,
        chat_configuration=spec.chat_configuration,
        variables=list(spec.variables),
        tools=tool_attachments(list(spec.tools)),
        knowledge_bases=knowledge_base_attachments(list(spec.knowledge_bases)),
    )
    refuse(await missing(actor.workspace_id, draft, ()))
    guarded = guard(actor.workspace_id, draft)
    personas = Persona.get_pymongo_collection()
    workspaces = Workspace.get_pymongo_collection()

    async def insert(session: AsyncClientSession) -> Persona:
        if guarded is not None:
            await guarded(session)
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
    require(actor, Operation.EDIT_DRAFT)
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
    require(actor, Operation.EDIT_DRAFT)
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
    require(actor, Operation.EDIT_DRAFT)
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
    require(actor, Operation.EDIT_DRAFT)
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
    require(actor, Operation.EDIT_DRAFT)
    refuse(check_variables(variables, ("variables",)))
    persona = await require_persona(actor, persona_id, expected_revision, "personaId")
    return await write_draft(persona, persona.draft.model_copy(update={"variables": variables}))


async def set_memory_policy(
    actor: Principal, persona_id: PydanticObjectId, expected_revision: int, policy: MemoryPolicy
) -> Persona:
    """Replace the draft's memory policy; it is kept whether memory is on or off."""
    require(actor, Operation.EDIT_DRAFT)
    refuse(check_policy(policy, ("policy",)))
    persona = await require_persona(actor, persona_id, expected_revision, "personaId")
    return await write_draft(persona, persona.draft.model_copy(update={"memory_policy": policy}))


async def delete_persona(actor: Principal, persona_id: PydanticObjectId) -> None:
    """Delete the persona and its published history, together."""
    require(actor, Operation.DELETE_PERSONA)
    personas = Persona.get_pymongo_collection()
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
    require(actor, Operation.DISCARD_DRAFT)
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
    require(actor, Operation.RESTORE_VERSION)
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

"""Draft mutations: one input, one payload, errors as data. Each delegates to one service call."""

from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, Protocol

import strawberry
from beanie import PydanticObjectId

from app.access.principal import Principal
from app.personas import documents, drafts
from app.personas.errors import PersonaNotFound
from app.platform.errors import InvalidInput, Problem
from graphql_schema import ids
from graphql_schema.context import Info
from graphql_schema.errors import UserError, attempt
from graphql_schema.personas.attachment_inputs import knowledge_base_choices, tool_choices
from graphql_schema.personas.inputs import (
    CreatePersonaInput,
    DiscardDraftInput,
    RemoveVoiceConfigurationInput,
    RestorePersonaVersionInput,
    SetChatConfigurationInput,
    SetVoiceConfigurationInput,
    UpdatePersonaInput,
    given,
)
from graphql_schema.personas.types import Persona

P = ParamSpec("P")


@strawberry.type
class PersonaPayload:
    persona: Persona | None
    user_errors: list[UserError]


def persona_object_id(global_id: str, field: str) -> PydanticObjectId:
    object_id = ids.decode_object_id(global_id, "Persona")
    if object_id is None:
        raise PersonaNotFound((field,))
    return object_id


async def persona_payload(call: Callable[[], Awaitable[documents.Persona]]) -> PersonaPayload:
    persona, errors = await attempt(call)
    return PersonaPayload(
        persona=Persona.from_document(persona) if persona else None, user_errors=errors
    )


class DraftEdit(Protocol):
    persona_id: strawberry.ID
    expected_revision: int


DraftWrite = Callable[
    Concatenate[Principal, PydanticObjectId, int, P], Awaitable[documents.Persona]
]


async def _edit(
    info: Info, input: DraftEdit, write: DraftWrite[P], *args: P.args, **kwargs: P.kwargs
) -> PersonaPayload:
    """The shape of every draft edit: the caller, the persona its input names, its revision."""
    return await persona_payload(
        lambda: write(
            info.context.actor,
            persona_object_id(input.persona_id, "personaId"),
            input.expected_revision,
            *args,
            **kwargs,
        )
    )


@strawberry.type
class PersonaMutation:
    @strawberry.mutation
    async def create_persona(self, info: Info, input: CreatePersonaInput) -> PersonaPayload:
        async def call() -> documents.Persona:
            spec = drafts.NewPersona(
                name=input.name,
                memory=input.memory,
                voice_configurations=tuple(
                    c.to_document() for c in input.voice_configurations or []
                ),
                chat_configuration=(
                    chat.to_document() if (chat := given(input.chat_configuration)) else None
                ),
                variables=tuple(variable.to_document() for variable in input.variables or []),
                tools=tool_choices(input.tools),
                knowledge_bases=knowledge_base_choices(input.knowledge_bases),
            )
            return await drafts.create_persona(info.context.actor, spec)

        return await persona_payload(call)

    @strawberry.mutation
    async def update_persona(self, info: Info, input: UpdatePersonaInput) -> PersonaPayload:
        return await persona_payload(
            lambda: drafts.update_persona(
                info.context.actor,
                persona_object_id(input.id, "id"),
                input.expected_revision,
                given(input.name),
                given(input.memory),
            )
        )

    @strawberry.mutation
    async def set_voice_configuration(
        self, info: Info, input: SetVoiceConfigurationInput
    ) -> PersonaPayload:
        return await _edit(
            info, input, drafts.set_voice_configuration, input.configuration.to_document()
        )

    @strawberry.mutation
    async def remove_voice_configuration(
        self, info: Info, input: RemoveVoiceConfigurationInput
    ) -> PersonaPayload:
        return await _edit(info, input, drafts.remove_voice_configuration, input.locale)

    @strawberry.mutation
    async def set_chat_configuration(
        self, info: Info, input: SetChatConfigurationInput
    ) -> PersonaPayload:
        async def call() -> documents.Persona:
            if input.configuration is strawberry.UNSET:
                message = "Pass a configuration, or null to remove the chat configuration."
                raise InvalidInput([Problem(("configuration",), message)])
            config = input.configuration.to_document() if input.configuration else None
            persona_id = persona_object_id(input.persona_id, "personaId")
            return await drafts.set_chat_configuration(
                info.context.actor, persona_id, input.expected_revision, config
            )

        return await persona_payload(call)

    @strawberry.mutation
    async def discard_draft(self, info: Info, input: DiscardDraftInput) -> PersonaPayload:
        return await _edit(info, input, drafts.discard_draft)

    @strawberry.mutation
    async def restore_persona_version(
        self, info: Info, input: RestorePersonaVersionInput
    ) -> PersonaPayload:
        return await _edit(info, input, drafts.restore_persona_version, input.version)

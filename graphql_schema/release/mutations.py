"""Publishing, rolling back and deleting: mutations that change what an environment runs."""

from collections.abc import Awaitable, Callable

import strawberry

from app.personas import documents
from app.release import deletion, publishing
from app.release.documents import PRODUCTION
from graphql_schema.context import Info
from graphql_schema.errors import UserError, attempt
from graphql_schema.personas.inputs import (
    DeletePersonaInput,
    PublishPersonaInput,
    RollbackPersonaInput,
    given,
)
from graphql_schema.personas.mutations import persona_object_id
from graphql_schema.personas.types import Persona, PersonaVersion


@strawberry.type
class PublishPersonaPayload:
    persona: Persona | None
    version: PersonaVersion | None
    user_errors: list[UserError]


@strawberry.type
class DeletePersonaPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


async def _publish_payload(
    call: Callable[[], Awaitable[tuple[documents.Persona, documents.PersonaVersion]]],
) -> PublishPersonaPayload:
    published, errors = await attempt(call)
    if published is None:
        return PublishPersonaPayload(persona=None, version=None, user_errors=errors)
    persona, version = published
    return PublishPersonaPayload(
        persona=Persona.from_document(persona),
        version=PersonaVersion.from_document(version),
        user_errors=[],
    )


@strawberry.type
class ReleaseMutation:
    @strawberry.mutation
    async def publish_persona(
        self, info: Info, input: PublishPersonaInput
    ) -> PublishPersonaPayload:
        return await _publish_payload(
            lambda: publishing.publish_persona(
                info.context.actor,
                persona_object_id(input.persona_id, "personaId"),
                input.expected_revision,
                given(input.note),
                PRODUCTION if input.environment is None else input.environment,
            )
        )

    @strawberry.mutation
    async def rollback_persona(
        self, info: Info, input: RollbackPersonaInput
    ) -> PublishPersonaPayload:
        return await _publish_payload(
            lambda: publishing.rollback_persona(
                info.context.actor,
                persona_object_id(input.persona_id, "personaId"),
                input.version,
                given(input.note),
                PRODUCTION if input.environment is None else input.environment,
            )
        )

    @strawberry.mutation
    async def delete_persona(self, info: Info, input: DeletePersonaInput) -> DeletePersonaPayload:
        _, errors = await attempt(
            lambda: deletion.delete_persona(info.context.actor, persona_object_id(input.id, "id"))
        )
        return DeletePersonaPayload(deleted_id=None if errors else input.id, user_errors=errors)

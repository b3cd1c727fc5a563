"""Live notifications over graphql-transport-ws."""

import weakref
from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from app.personas import store
from app.release.events import PublishEvent
from graphql_schema import ids
from graphql_schema.context import Info
from graphql_schema.fanout import SharedBySubscribers
from graphql_schema.personas.types import Persona, PersonaVersion


@strawberry.type
class PersonaPublishedEvent(SharedBySubscribers):
    event_id: strawberry.ID = strawberry.field(
        description="Unique per publish; clients de-duplicate on it."
    )
    persona: Persona
    version: PersonaVersion
    rollback: bool = strawberry.field(description="True when made by rollbackPersona.")


_payloads: "weakref.WeakKeyDictionary[PublishEvent, PersonaPublishedEvent]" = (
    weakref.WeakKeyDictionary()
)


def _published(event: PublishEvent) -> PersonaPublishedEvent:
    """The one payload of `event`, shared by its subscribers so it is executed once."""
    payload = _payloads.get(event)
    if payload is None:
        payload = _payloads[event] = PersonaPublishedEvent(
            event_id=strawberry.ID(event.event_id),
            persona=Persona.from_document(event.persona),
            version=PersonaVersion.from_document(event.version),
            rollback=event.version.from_rollback,
        )
    return payload


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Every publish the caller may read when personaId is null."
    )
    async def persona_published(
        self, info: Info, persona_id: strawberry.ID | None = None
    ) -> AsyncGenerator[PersonaPublishedEvent, None]:
        actor = info.context.actor
        hub = info.context.events
        if hub is None:
            raise GraphQLError("Live notifications are not available.")
        wanted = None
        if persona_id is not None:
            wanted = ids.decode_object_id(persona_id, "Persona")
            if wanted is None or await store.get_persona(actor, wanted) is None:
                raise GraphQLError("Persona not found.")
        with hub.subscribe() as subscriber:
            async for event in subscriber:
                if event.persona.workspace_id != actor.workspace_id:
                    continue
                if wanted is not None and event.version.persona_id != wanted:
                    continue
                yield _published(event)

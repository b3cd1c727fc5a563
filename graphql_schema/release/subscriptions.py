"""Live notifications over graphql-transport-ws: publishes, and every deployment change."""

import weakref
from collections.abc import AsyncGenerator

import strawberry
from beanie import PydanticObjectId
from graphql import GraphQLError

from app.personas import store
from app.platform import metrics
from app.release.environments import find_environment
from app.release.events import ChangeEvent, EventHub
from graphql_schema import ids
from graphql_schema.context import Info
from graphql_schema.fanout import SharedBySubscribers
from graphql_schema.personas.types import Persona, PersonaVersion
from graphql_schema.release.deployments import Deployment, DeploymentEventKind


@strawberry.type
class PersonaPublishedEvent(SharedBySubscribers):
    event_id: strawberry.ID = strawberry.field(
        description="Unique per publish; clients de-duplicate on it."
    )
    persona: Persona
    version: PersonaVersion
    rollback: bool = strawberry.field(description="True when made by rollbackPersona.")
    environment: str


@strawberry.type
class DeploymentEvent(SharedBySubscribers):
    event_id: strawberry.ID = strawberry.field(
        description="Unique per change; clients de-duplicate on it."
    )
    kind: DeploymentEventKind
    persona: Persona
    environment: str
    deployment: Deployment | None = strawberry.field(description="As it is after the change.")


_published_payloads: "weakref.WeakKeyDictionary[ChangeEvent, PersonaPublishedEvent]" = (
    weakref.WeakKeyDictionary()
)
_changed_payloads: "weakref.WeakKeyDictionary[ChangeEvent, DeploymentEvent]" = (
    weakref.WeakKeyDictionary()
)


def _published(event: ChangeEvent) -> PersonaPublishedEvent:
    """The one payload of `event`, shared by its subscribers so it is executed once."""
    payload = _published_payloads.get(event)
    if payload is None:
        assert event.version is not None
        payload = _published_payloads[event] = PersonaPublishedEvent(
            # The version's id, as before deployments: a reconnecting client still matches it.
            event_id=strawberry.ID(str(event.version.id)),
            persona=Persona.from_document(event.persona),
            version=PersonaVersion.from_document(event.version),
            rollback=event.version.from_rollback,
            environment=event.change.environment,
        )
    return payload


def _changed(event: ChangeEvent) -> DeploymentEvent:
    payload = _changed_payloads.get(event)
    if payload is None:
        change = event.change
        state = change.deployment
        payload = _changed_payloads[event] = DeploymentEvent(
            event_id=strawberry.ID(event.event_id),
            kind=change.kind,
            persona=Persona.from_document(event.persona),
            environment=change.environment,
            deployment=None
            if state is None
            else Deployment.of(event.persona, change.environment, state),
        )
    return payload


def _hub(info: Info) -> EventHub:
    hub = info.context.events
    if hub is None:
        raise GraphQLError("Live notifications are not available.")
    return hub


async def _watched(info: Info, persona_id: strawberry.ID | None) -> PydanticObjectId | None:
    if persona_id is None:
        return None
    wanted = ids.decode_object_id(persona_id, "Persona")
    if wanted is None or await store.get_persona(info.context.actor, wanted) is None:
        raise GraphQLError("Persona not found.")
    return wanted


def _unknown(name: str) -> GraphQLError:
    return GraphQLError(
        f"The workspace has no environment {name[:64]!r}.",
        extensions={"code": "UNKNOWN_ENVIRONMENT"},
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Every publish the caller may read when personaId is null."
    )
    async def persona_published(
        self, info: Info, persona_id: strawberry.ID | None = None
    ) -> AsyncGenerator[PersonaPublishedEvent, None]:
        actor = info.context.actor
        hub = _hub(info)
        wanted = await _watched(info, persona_id)
        with hub.subscribe() as subscriber:
            async for event in subscriber:
                if event.version is None or event.persona.workspace_id != actor.workspace_id:
                    continue
                if wanted is not None and event.change.persona_id != wanted:
                    continue
                metrics.event_delivered()
                yield _published(event)

    @strawberry.subscription(
        description="Every change to what an environment serves: publishes, rollbacks, "
        "deploys, rollout steps and failed schedules. Ends when the environment it follows "
        "is deleted."
    )
    async def deployment_changed(
        self, info: Info, persona_id: strawberry.ID | None = None, environment: str | None = None
    ) -> AsyncGenerator[DeploymentEvent, None]:
        actor = info.context.actor
        hub = _hub(info)
        wanted = await _watched(info, persona_id)
        followed = None
        if environment is not None:
            followed = await find_environment(actor.workspace_id, environment)
            if followed is None:
                raise _unknown(environment)
        with hub.subscribe(followed.id if followed is not None else None) as subscriber:
            if followed is not None and followed.id is not None:
                # Deleted before the subscriber was there to hear of it: already over.
                again = await find_environment(actor.workspace_id, followed.name)
                if again is None or again.id != followed.id:
                    return
            async for event in subscriber:
                change = event.change
                if change.workspace_id != actor.workspace_id:
                    continue
                if wanted is not None and change.persona_id != wanted:
                    continue
                if environment is not None and change.environment != environment:
                    continue
                metrics.event_delivered()
                yield _changed(event)

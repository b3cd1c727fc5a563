"""Persona types, each built from its Beanie document by `from_document`."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from beanie import PydanticObjectId
from strawberry.scalars import JSON

from app.personas import diff, documents, readiness, reads, users
from app.release import previews
from graphql_schema import ids
from graphql_schema.context import Info
from graphql_schema.library.types import (
    Channel,
    Node,
)
from graphql_schema.pagination import PageInfo, after_cursor, page_size
from graphql_schema.personas.readiness import Readiness
from graphql_schema.personas.snapshots import PersonaSnapshot
from graphql_schema.scalars import Locale

if TYPE_CHECKING:
    from graphql_schema.personas.resolution import LiveConfiguration
    from graphql_schema.release.deployments import Deployment, DeploymentChange
    from graphql_schema.release.schedules import ScheduledPublish, ScheduleStatus

LazyLiveConfiguration = Annotated[
    "LiveConfiguration", strawberry.lazy("graphql_schema.personas.resolution")
]
# Lazy: deployments are built of this module's types.
LazyDeployment = Annotated["Deployment", strawberry.lazy("graphql_schema.release.deployments")]
LazyDeploymentChange = Annotated[
    "DeploymentChange", strawberry.lazy("graphql_schema.release.deployments")
]

strawberry.enum(documents.PersonaStatus)
PersonaStatus = documents.PersonaStatus


@strawberry.type
class PersonaVersion:
    version: int = strawberry.field(description="1, 2, 3 ... per persona")
    snapshot: PersonaSnapshot
    published_at: datetime
    published_by: str
    note: str | None
    rollback: bool = strawberry.field(description="True when made by rollbackPersona.")
    environment: str | None = strawberry.field(
        description="The environment it was first published to; null for versions published "
        "before there were environments."
    )

    @classmethod
    def from_document(cls, version: documents.Production | documents.PersonaVersion) -> Self:
        return cls(
            version=version.version,
            snapshot=PersonaSnapshot.from_document(version.snapshot),
            published_at=version.published_at,
            published_by=version.published_by,
            note=version.note,
            rollback=version.from_rollback,
            environment=version.environment,
        )


@strawberry.type(description="Values as JSON text.")
class FieldChange:
    path: str
    before: str | None
    after: str | None


@strawberry.type
class PersonaVersionEdge:
    cursor: str
    node: PersonaVersion


@strawberry.type
class PersonaVersionConnection:
    edges: list[PersonaVersionEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class Persona(Node):
    persona: strawberry.Private[documents.Persona]
    status: PersonaStatus
    revision: int = strawberry.field(
        description="Bumps on every draft change; pass it back as expectedRevision."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_document(cls, persona: documents.Persona) -> Self:
        return cls(
            id=strawberry.ID(ids.persona_id(persona.id)),
            persona=persona,
            status=persona.status,
            revision=persona.revision,
            created_at=persona.created_at,
            updated_at=persona.updated_at,
        )

    @strawberry.field
    def draft(self) -> PersonaSnapshot:
        return PersonaSnapshot.from_document(self.persona.draft)

    @strawberry.field(description="Null until the first publish.")
    def production(self) -> PersonaVersion | None:
        production = self.persona.production
        return PersonaVersion.from_document(production) if production else None

    @strawberry.field(description="Newest first.")
    async def versions(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> PersonaVersionConnection:
        first = page_size(first)
        before = after_cursor(after, ids.decode_version_cursor)
        window = reads.version_window(self.persona, first, before)
        items = await info.context.versions.load(window)
        edges = [
            PersonaVersionEdge(
                cursor=ids.version_cursor(item.version), node=PersonaVersion.from_document(item)
            )
            for item in items
        ]
        return PersonaVersionConnection(
            edges=edges,
            page_info=PageInfo.of(edges, window.has_next, after is not None),
            # Versions of every environment, 1 to the newest.
            total_count=self.persona.newest_version,
        )

    @strawberry.field(
        description="One per environment the persona is deployed to, production first."
    )
    async def deployments(self, info: Info) -> list[LazyDeployment]:
        from graphql_schema.release.deployments import deployments_of

        return await deployments_of(info, self.persona)

    @strawberry.field(
        description="What `environment` serves; `production` above equals "
        'deployment("production").version.'
    )
    async def deployment(self, info: Info, environment: str) -> LazyDeployment | None:
        from graphql_schema.release.deployments import deployment_in

        return await deployment_in(info, self.persona, environment)

    @strawberry.field(
        description="Every change of what the persona's environments serve (publishes, "
        "rollbacks, deploys, rollout steps, failed schedules), newest first; "
        "`environment` keeps one environment's."
    )
    async def deployment_history(
        self, environment: str | None = None, first: int | None = 20
    ) -> list[LazyDeploymentChange]:
        from graphql_schema.release.deployments import history

        return await history(self.persona, environment, first)

    @strawberry.field(description="What publishing the draft now would do.")
    async def readiness(self) -> Readiness:
        return Readiness.of(await readiness.readiness(self.persona))

    @strawberry.field(
        description="The draft resolved exactly as liveConfiguration would resolve a published "
        "version; records nothing."
    )
    async def preview(
        self,
        info: Info,
        channel: Channel,
        locale: Locale | None = None,
        environment: str | None = "production",
        variables: JSON | None = None,
        contact_id: str | None = None,
    ) -> (
        Annotated["LiveConfiguration", strawberry.lazy("graphql_schema.personas.resolution")] | None
    ):
        # Imported here: the call-start answer is built of this module's types.
        from graphql_schema.personas.resolution import answered, call_start

        call = call_start(channel, locale, environment, contact_id, variables)
        actor = info.context.actor
        return await answered(lambda: previews.preview(actor, self.persona, call))

    @strawberry.field(description="In order of `at`; of one status when given.")
    async def scheduled_publishes(
        self,
        info: Info,
        status: Annotated["ScheduleStatus", strawberry.lazy("graphql_schema.release.schedules")]
        | None = None,
    ) -> list[Annotated["ScheduledPublish", strawberry.lazy("graphql_schema.release.schedules")]]:
        # Imported here: schedules build on this module's types.
        from graphql_schema.release.schedules import scheduled_publishes_of

        assert self.persona.id is not None
        return await scheduled_publishes_of(info, self.persona.id, status)

    @strawberry.field(description="The draft against production (everything, before a publish).")
    def changes(self) -> list[FieldChange]:
        production = self.persona.production
        found = diff.changes(production.snapshot if production else None, self.persona.draft)
        return [FieldChange(path=c.path, before=c.before, after=c.after) for c in found]


@strawberry.type
class PersonaEdge:
    cursor: str
    node: Persona


@strawberry.type
class PersonaConnection:
    edges: list[PersonaEdge]
    page_info: PageInfo
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Counted only when asked for.")
    async def total_count(self) -> int:
        return await self.counter()


def persona_edges(found: list[documents.Persona]) -> list[PersonaEdge]:
    return [PersonaEdge(cursor=ids.cursor(p.seq), node=Persona.from_document(p)) for p in found]


async def attached_by(
    info: Info,
    kind: users.Attachable,
    object_id: PydanticObjectId,
    first: int | None,
    after: str | None,
) -> PersonaConnection:
    """usedBy: the personas whose draft attaches a tool or knowledge base, newest first."""
    before = after_cursor(after, ids.decode_cursor)
    actor = info.context.actor
    found, has_next = await users.users_page(actor, kind, object_id, page_size(first), before)
    edges = persona_edges(found)
    return PersonaConnection(
        edges=edges,
        page_info=PageInfo.of(edges, has_next, after is not None),
        counter=lambda: users.count_users(actor, kind, object_id),
    )

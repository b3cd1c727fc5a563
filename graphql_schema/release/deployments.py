"""What each environment serves of a persona, a running rollout, and the record of changes."""

from datetime import datetime
from typing import Self

import strawberry
from graphql import GraphQLError

from app.personas import documents
from app.release import audit
from app.release.documents import ChangeKind, DeploymentState
from app.release.documents import Deployment as StoredDeployment
from app.release.documents import DeploymentChange as StoredChange
from app.release.documents import Rollout as StoredRollout
from app.release.environments import NAME
from graphql_schema.context import Info
from graphql_schema.pagination import page_size
from graphql_schema.personas.types import PersonaVersion

strawberry.enum(ChangeKind, name="DeploymentEventKind")
DeploymentEventKind = ChangeKind


async def _version(info: Info, persona: documents.Persona, number: int) -> PersonaVersion | None:
    """Version `number` of the persona; production's is on the persona, needing no read."""
    production = persona.production
    if production is not None and production.version == number:
        return PersonaVersion.from_document(production)
    assert persona.id is not None
    found = await info.context.numbered_versions.load((persona.id, number))
    return PersonaVersion.from_document(found) if found is not None else None


async def _served(info: Info, persona: documents.Persona, number: int) -> PersonaVersion:
    found = await _version(info, persona, number)
    if found is None:  # versions live as long as their persona
        raise GraphQLError(f"Version {number} of the persona is missing.")
    return found


@strawberry.type(description="A candidate version served to `percent` % of contacts.")
class Rollout:
    persona: strawberry.Private[documents.Persona]
    rollout: strawberry.Private[StoredRollout]
    percent: int = strawberry.field(
        description="0 .. 100; raising it only moves contacts from the baseline to the candidate."
    )
    started_at: datetime
    started_by: str
    note: str | None

    @classmethod
    def of(cls, persona: documents.Persona, rollout: StoredRollout) -> Self:
        return cls(
            persona=persona,
            rollout=rollout,
            percent=rollout.percent,
            started_at=rollout.started_at,
            started_by=rollout.started_by,
            note=rollout.note,
        )

    @strawberry.field(
        description="Served to `percent` % of contacts, the deployed one to the rest."
    )
    async def candidate(self, info: Info) -> PersonaVersion:
        return await _served(info, self.persona, self.rollout.version)


@strawberry.type(description="What one environment serves of a persona.")
class Deployment:
    persona: strawberry.Private[documents.Persona]
    state: strawberry.Private[DeploymentState]
    environment: str
    deployed_at: datetime
    deployed_by: str
    note: str | None = strawberry.field(description="The note of the change that deployed it.")

    @classmethod
    def of(cls, persona: documents.Persona, environment: str, state: DeploymentState) -> Self:
        return cls(
            persona=persona,
            state=state,
            environment=environment,
            deployed_at=state.deployed_at,
            deployed_by=state.deployed_by,
            note=state.note,
        )

    @classmethod
    def from_document(cls, persona: documents.Persona, deployment: StoredDeployment) -> Self:
        return cls.of(persona, deployment.environment, deployment)

    @strawberry.field
    async def version(self, info: Info) -> PersonaVersion:
        return await _served(info, self.persona, self.state.version)

    @strawberry.field(description="The version served before this one was deployed.")
    async def replaced(self, info: Info) -> PersonaVersion | None:
        if self.state.replaced is None:
            return None
        return await _version(info, self.persona, self.state.replaced)

    @strawberry.field
    def rollout(self) -> Rollout | None:
        rollout = self.state.rollout
        return Rollout.of(self.persona, rollout) if rollout is not None else None


@strawberry.type(description="One change of what an environment serves: the audit trail.")
class DeploymentChange:
    persona: strawberry.Private[documents.Persona]
    change: strawberry.Private[StoredChange]
    event_id: strawberry.ID = strawberry.field(description="The DeploymentEvent's eventId.")
    kind: DeploymentEventKind
    environment: str
    at: datetime
    by: str
    note: str | None
    error: str | None = strawberry.field(description="SCHEDULE_FAILED: why.")

    @classmethod
    def from_document(cls, persona: documents.Persona, change: StoredChange) -> Self:
        return cls(
            persona=persona,
            change=change,
            event_id=strawberry.ID(str(change.id)),
            kind=change.kind,
            environment=change.environment,
            at=change.at,
            by=change.by,
            note=change.note,
            error=change.error,
        )

    @strawberry.field(description="What the environment serves after the change; null: nothing.")
    def deployment(self) -> Deployment | None:
        after = self.change.deployment
        return Deployment.of(self.persona, self.change.environment, after) if after else None

    @strawberry.field(description="The version served after the change.")
    async def version(self, info: Info) -> PersonaVersion | None:
        after = self.change.deployment
        return await _version(info, self.persona, after.version) if after else None

    @strawberry.field(description="The version served before the change; null: nothing was.")
    async def replaced(self, info: Info) -> PersonaVersion | None:
        before = self.change.replaced
        return await _version(info, self.persona, before.version) if before else None


# What Persona.deployments, .deployment and .deploymentHistory answer (graphql_schema.personas).


async def deployments_of(info: Info, persona: documents.Persona) -> list[Deployment]:
    assert persona.id is not None
    found = await info.context.deployments.load((persona.workspace_id, persona.id))
    return [Deployment.from_document(persona, deployment) for deployment in found]


async def deployment_in(
    info: Info, persona: documents.Persona, environment: str
) -> Deployment | None:
    # Through the batch of every persona shown: a page asking each for one environment
    # costs one query, as for all of them.
    for deployment in await deployments_of(info, persona):
        if deployment.environment == environment:
            return deployment
    return None


async def history(
    persona: documents.Persona, environment: str | None, first: int | None
) -> list[DeploymentChange]:
    size = page_size(first)
    if environment is not None and not NAME.fullmatch(environment):
        return []  # no environment has that name: nothing to look up
    assert persona.id is not None
    found = await audit.history_of(persona.workspace_id, persona.id, environment, size)
    return [DeploymentChange.from_document(persona, change) for change in found]

"""Deployment and Rollout as a DeploymentEvent shows them: what an environment serves of a
persona after a change, read from the change's recorded state.

A stand-in, kept small, for the Deployment type of graphql_schema/release/deployments.py
(i11-deploy): when both are merged this module goes and the event resolves through that one.
"""

from datetime import datetime
from typing import Self

import strawberry
from beanie import PydanticObjectId

from app.personas.reads import get_version
from app.release.documents import DeploymentState
from graphql_schema.personas.types import PersonaVersion


async def _version(persona_id: PydanticObjectId, number: int) -> PersonaVersion:
    found = await get_version(persona_id, number)
    if found is None:  # versions live as long as their persona, and the change names one
        raise LookupError(f"version {number} of a deployment is missing")
    return PersonaVersion.from_document(found)


@strawberry.type
class Rollout:
    persona_id: strawberry.Private[PydanticObjectId]
    version: strawberry.Private[int]
    percent: int = strawberry.field(
        description="0 .. 100; raising it only moves contacts from the baseline to the candidate"
    )
    started_at: datetime
    started_by: str
    note: str | None

    @strawberry.field(description="Served to `percent` % of contacts, the deployed one to the rest")
    async def candidate(self) -> PersonaVersion:
        return await _version(self.persona_id, self.version)


@strawberry.type
class Deployment:
    persona_id: strawberry.Private[PydanticObjectId]
    state: strawberry.Private[DeploymentState]
    environment: str
    deployed_at: datetime
    deployed_by: str

    @classmethod
    def of(cls, persona_id: PydanticObjectId, environment: str, state: DeploymentState) -> Self:
        return cls(
            persona_id=persona_id,
            state=state,
            environment=environment,
            deployed_at=state.deployed_at,
            deployed_by=state.deployed_by,
        )

    @strawberry.field
    async def version(self) -> PersonaVersion:
        return await _version(self.persona_id, self.state.version)

    @strawberry.field
    def rollout(self) -> Rollout | None:
        rollout = self.state.rollout
        if rollout is None:
            return None
        return Rollout(
            persona_id=self.persona_id,
            version=rollout.version,
            percent=rollout.percent,
            started_at=rollout.started_at,
            started_by=rollout.started_by,
            note=rollout.note,
        )

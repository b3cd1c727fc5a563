"""Promotion and rollouts: deploying an existing version, and serving a candidate to a share
of contacts until it is completed or aborted."""

from collections.abc import Awaitable, Callable

import strawberry

from app.personas import documents
from app.release import promotion, rollouts
from app.release.documents import Deployment as StoredDeployment
from graphql_schema.context import Info
from graphql_schema.errors import UserError, attempt
from graphql_schema.personas.inputs import given
from graphql_schema.personas.mutations import persona_object_id
from graphql_schema.personas.types import Persona
from graphql_schema.release.deployments import Deployment


@strawberry.input(
    description="Promote an existing version: that version exactly, pinned "
    "tools and knowledge bases included."
)
class DeployPersonaVersionInput:
    persona_id: strawberry.ID
    version: int
    environment: str
    note: str | None = strawberry.UNSET


@strawberry.input
class StartRolloutInput:
    persona_id: strawberry.ID
    environment: str
    version: int
    percent: int
    note: str | None = strawberry.UNSET


@strawberry.input
class SetRolloutPercentInput:
    persona_id: strawberry.ID
    environment: str
    percent: int


@strawberry.input
class EndRolloutInput:
    persona_id: strawberry.ID
    environment: str


@strawberry.type
class DeploymentPayload:
    persona: Persona | None
    deployment: Deployment | None
    user_errors: list[UserError]


Changed = tuple[documents.Persona, StoredDeployment]


async def _payload(call: Callable[[], Awaitable[Changed]]) -> DeploymentPayload:
    changed, errors = await attempt(call)
    if changed is None:
        return DeploymentPayload(persona=None, deployment=None, user_errors=errors)
    persona, deployment = changed
    return DeploymentPayload(
        persona=Persona.from_document(persona),
        deployment=Deployment.from_document(persona, deployment),
        user_errors=[],
    )


@strawberry.type
class DeploymentMutation:
    @strawberry.mutation(description="PUBLISHER. CONFLICT while a rollout runs there.")
    async def deploy_persona_version(
        self, info: Info, input: DeployPersonaVersionInput
    ) -> DeploymentPayload:
        return await _payload(
            lambda: promotion.deploy_persona_version(
                info.context.actor,
                persona_object_id(input.persona_id, "personaId"),
                input.version,
                input.environment,
                given(input.note),
            )
        )

    @strawberry.mutation(description="PUBLISHER. CONFLICT if one runs.")
    async def start_rollout(self, info: Info, input: StartRolloutInput) -> DeploymentPayload:
        return await _payload(
            lambda: rollouts.start_rollout(
                info.context.actor,
                persona_object_id(input.persona_id, "personaId"),
                input.environment,
                input.version,
                input.percent,
                given(input.note),
            )
        )

    @strawberry.mutation(description="PUBLISHER. CONFLICT if none runs.")
    async def set_rollout_percent(
        self, info: Info, input: SetRolloutPercentInput
    ) -> DeploymentPayload:
        return await _payload(
            lambda: rollouts.set_rollout_percent(
                info.context.actor,
                persona_object_id(input.persona_id, "personaId"),
                input.environment,
                input.percent,
            )
        )

    @strawberry.mutation(description="The candidate becomes the deployed version.")
    async def complete_rollout(self, info: Info, input: EndRolloutInput) -> DeploymentPayload:
        return await _payload(
            lambda: rollouts.complete_rollout(
                info.context.actor,
                persona_object_id(input.persona_id, "personaId"),
                input.environment,
            )
        )

    @strawberry.mutation(description="Everyone back on the deployed version.")
    async def abort_rollout(self, info: Info, input: EndRolloutInput) -> DeploymentPayload:
        return await _payload(
            lambda: rollouts.abort_rollout(
                info.context.actor,
                persona_object_id(input.persona_id, "personaId"),
                input.environment,
            )
        )

"""Environments over GraphQL: the workspace's list, and ADMIN's changes to it."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Self, cast

import strawberry
from strawberry.scalars import JSON

from app.access.principal import Forbidden
from app.release import documents, environment_admin
from graphql_schema.context import Info
from graphql_schema.errors import UserError, attempt, field_error
from graphql_schema.personas.inputs import given


@strawberry.type(description='Where personas are deployed; "production" always exists.')
class Environment:
    name: str = strawberry.field(
        description='^[a-z][a-z0-9-]{0,31}$; "production" always exists and cannot be deleted.'
    )
    variables: JSON = strawberry.field(
        description="An object: values for persona variables in this environment, between "
        "the persona's defaults and a call's own values."
    )
    revision: int
    created_at: datetime

    @classmethod
    def from_document(cls, environment: documents.Environment) -> Self:
        return cls(
            name=environment.name,
            variables=cast(JSON, environment.variables),
            revision=environment.revision,
            created_at=environment.created_at,
        )


@strawberry.input
class CreateEnvironmentInput:
    name: str
    variables: JSON | None = strawberry.UNSET


@strawberry.input(description="Replaces the environment's values.")
class SetEnvironmentVariablesInput:
    name: str
    expected_revision: int
    variables: JSON


@strawberry.input(description="Removes its deployments too; never production.")
class DeleteEnvironmentInput:
    name: str


@strawberry.type
class EnvironmentPayload:
    environment: Environment | None
    user_errors: list[UserError]


@strawberry.type
class DeleteEnvironmentPayload:
    deleted_name: str | None
    user_errors: list[UserError]


async def _payload(call: Callable[[], Awaitable[documents.Environment]]) -> EnvironmentPayload:
    environment, errors = await attempt(call)
    shown = Environment.from_document(environment) if environment is not None else None
    return EnvironmentPayload(environment=shown, user_errors=errors)


@strawberry.type
class EnvironmentQuery:
    @strawberry.field(description="Production first, then the others by name.")
    async def environments(self, info: Info) -> list[Environment]:
        try:
            found = await environment_admin.list_environments(info.context.actor)
        except Forbidden as refused:
            raise field_error(refused) from None
        return [Environment.from_document(environment) for environment in found]


@strawberry.type
class EnvironmentMutation:
    @strawberry.mutation(description="ADMIN.")
    async def create_environment(
        self, info: Info, input: CreateEnvironmentInput
    ) -> EnvironmentPayload:
        return await _payload(
            lambda: environment_admin.create_environment(
                info.context.actor, input.name, given(input.variables)
            )
        )

    @strawberry.mutation(description="ADMIN; REVISION_MISMATCH unless at expectedRevision.")
    async def set_environment_variables(
        self, info: Info, input: SetEnvironmentVariablesInput
    ) -> EnvironmentPayload:
        return await _payload(
            lambda: environment_admin.set_environment_variables(
                info.context.actor, input.name, input.expected_revision, input.variables
            )
        )

    @strawberry.mutation(description="ADMIN; removes its deployments; never production.")
    async def delete_environment(
        self, info: Info, input: DeleteEnvironmentInput
    ) -> DeleteEnvironmentPayload:
        deleted, errors = await attempt(
            lambda: environment_admin.delete_environment(info.context.actor, input.name)
        )
        return DeleteEnvironmentPayload(deleted_name=deleted, user_errors=errors)

"""API keys over GraphQL: listed, made and revoked by a workspace's ADMINs."""

from datetime import datetime
from typing import Self

import strawberry
from graphql import GraphQLError

from app.access import documents, keys
from app.access.principal import Forbidden, Role
from graphql_schema import ids
from graphql_schema.context import Info
from graphql_schema.errors import UserError, attempt

strawberry.enum(
    Role,
    description=(
        "VIEWER < EDITOR < PUBLISHER < ADMIN, each with the rights of the ones before it. "
        "RUNTIME stands beside them: the key of an agent runtime, for call starts only."
    ),
)


@strawberry.type(description="A key's public record; the key itself is shown only at creation.")
class ApiKey:
    id: strawberry.ID
    name: str
    role: Role
    prefix: str = strawberry.field(description="The key's first characters, to tell keys apart.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_document(cls, key: documents.ApiKey) -> Self:
        return cls(
            id=strawberry.ID(ids.encode("ApiKey", str(key.id))),
            name=key.name,
            role=key.role,
            prefix=f"pa_{key.prefix}",
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )


@strawberry.input
class CreateApiKeyInput:
    name: str
    role: Role


@strawberry.input
class RevokeApiKeyInput:
    id: strawberry.ID


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey | None
    key: str | None = strawberry.field(description="The whole key. Shown this once: store it.")
    user_errors: list[UserError]


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey | None
    user_errors: list[UserError]


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(description="The workspace's keys, oldest first. ADMIN only.")
    async def api_keys(self, info: Info) -> list[ApiKey]:
        try:
            found = await keys.list_api_keys(info.context.actor)
        except Forbidden as error:
            raise GraphQLError(str(error), extensions={"code": "FORBIDDEN"}) from None
        return [ApiKey.from_document(key) for key in found]


@strawberry.type
class ApiKeyMutation:
    @strawberry.mutation
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        issued, errors = await attempt(
            lambda: keys.create_api_key(info.context.actor, input.name, input.role)
        )
        if issued is None:
            return CreateApiKeyPayload(api_key=None, key=None, user_errors=errors)
        return CreateApiKeyPayload(
            api_key=ApiKey.from_document(issued.key), key=issued.secret, user_errors=[]
        )

    @strawberry.mutation
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyPayload:
        async def revoke() -> documents.ApiKey:
            key_id = ids.decode_object_id(input.id, "ApiKey")
            if key_id is None:
                raise keys.KeyNotFound()
            return await keys.revoke_api_key(info.context.actor, key_id)

        revoked, errors = await attempt(revoke)
        return RevokeApiKeyPayload(
            api_key=ApiKey.from_document(revoked) if revoked else None, user_errors=errors
        )

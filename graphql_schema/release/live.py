"""liveConfiguration: what a live call or chat runs with, over GraphQL."""

import strawberry
from strawberry.scalars import JSON

from app.release import live
from graphql_schema import ids
from graphql_schema.context import Info
from graphql_schema.library.types import Channel
from graphql_schema.personas.resolution import Answer, LiveConfiguration, answered, call_start
from graphql_schema.scalars import Locale


@strawberry.type
class ReleaseQuery:
    @strawberry.field(description="Production only; null before the first publish.")
    async def live_configuration(
        self,
        info: Info,
        persona_id: strawberry.ID,
        channel: Channel,
        locale: Locale | None = None,
        environment: str | None = "production",
        contact_id: str | None = None,
        variables: JSON | None = None,
    ) -> LiveConfiguration | None:
        call = call_start(channel, locale, environment, contact_id, variables)
        object_id = ids.decode_object_id(persona_id, "Persona")
        if object_id is None:
            return None

        actor = info.context.actor

        async def work() -> Answer:
            answer = await live.live_configuration(actor, object_id, call, info.context.productions)
            if answer.stale_since is not None:
                info.context.stale_since = answer.stale_since  # told in the response's extensions
            return answer.resolution, answer.contact_memory

        return await answered(work)

"""liveConfiguration: what a live call or chat runs with, over GraphQL."""

from typing import Self

import strawberry

from app.release import live
from app.release.live import LiveConfiguration as LiveConfigurationResult
from graphql_schema import ids
from graphql_schema.context import Info
from graphql_schema.library.types import Channel
from graphql_schema.personas.types import (
    ChatConfiguration,
    VoiceConfiguration,
    chat_or_none,
    voice_or_none,
)
from graphql_schema.scalars import Locale, query_locale


@strawberry.type(description="What a live call or chat runs with: production, never the draft.")
class LiveConfiguration:
    persona_id: strawberry.ID
    version: int
    name: str
    memory: bool
    channel: Channel
    requested_locale: Locale | None
    voice: VoiceConfiguration | None = strawberry.field(
        description="For VOICE: exact locale, else same language, else the first locale."
    )
    chat: ChatConfiguration | None = strawberry.field(description="For CHAT.")

    @classmethod
    def from_result(cls, live: LiveConfigurationResult) -> Self:
        return cls(
            persona_id=strawberry.ID(ids.persona_id(live.persona_id)),
            version=live.version,
            name=live.name,
            memory=live.memory,
            channel=live.channel,
            requested_locale=Locale(live.requested_locale) if live.requested_locale else None,
            voice=voice_or_none(live.voice),
            chat=chat_or_none(live.chat),
        )


@strawberry.type
class ReleaseQuery:
    @strawberry.field(description="Production only; null before the first publish.")
    async def live_configuration(
        self, info: Info, persona_id: strawberry.ID, channel: Channel, locale: Locale | None = None
    ) -> LiveConfiguration | None:
        requested = query_locale(locale)
        object_id = ids.decode_object_id(persona_id, "Persona")
        if object_id is None:
            return None
        answer = await live.live_configuration(
            info.context.actor, object_id, channel, requested, info.context.productions
        )
        if answer is None:
            return None
        if answer.stale_since is not None:
            info.context.stale_since = answer.stale_since  # told in the response's extensions
        return LiveConfiguration.from_result(answer)

"""What a live call or chat runs with: production, from memory where the process can."""

from dataclasses import dataclass
from datetime import datetime

from beanie import PydanticObjectId

from app.access.principal import Principal
from app.library.catalog import Channel
from app.library.locales import language_of
from app.personas.documents import ChatConfiguration, VoiceConfiguration
from app.personas.reads import find_persona
from app.release.livecache import ProductionCache


@dataclass(frozen=True)
class LiveConfiguration:
    persona_id: PydanticObjectId
    version: int
    name: str
    memory: bool
    channel: Channel
    requested_locale: str | None
    voice: VoiceConfiguration | None
    chat: ChatConfiguration | None
    # Set when served from memory while the database is away: since when it may be behind.
    stale_since: datetime | None = None


def pick_voice(
    configs: dict[str, VoiceConfiguration], locale: str | None
) -> VoiceConfiguration | None:
    """The exact locale, else one of the same language, else the first configured."""
    if not configs:
        return None
    if locale is not None:
        if locale in configs:
            return configs[locale]
        language = language_of(locale)
        for candidate, config in configs.items():
            if language_of(candidate) == language:
                return config
    return next(iter(configs.values()))


async def live_configuration(
    actor: Principal,
    persona_id: PydanticObjectId,
    channel: Channel,
    locale: str | None,
    productions: ProductionCache | None = None,
) -> LiveConfiguration | None:
    """What a live call or chat runs with: production only, None before the first publish."""
    stale_since = None
    if productions is not None:
        production, stale_since = await productions.read(actor.workspace_id, persona_id)
    else:
        persona = await find_persona(actor.workspace_id, persona_id)
        production = persona.production if persona else None
    if production is None:
        return None
    snapshot = production.snapshot
    voice = pick_voice(snapshot.voice_configurations, locale) if channel is Channel.VOICE else None
    chat = snapshot.chat_configuration if channel is Channel.CHAT else None
    if voice is None and chat is None:
        return None
    return LiveConfiguration(
        persona_id=persona_id,
        version=production.version,
        name=snapshot.name,
        memory=snapshot.memory,
        channel=channel,
        requested_locale=locale,
        voice=voice,
        chat=chat,
        stale_since=stale_since,
    )

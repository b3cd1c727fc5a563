"""Read paths: pages of personas, and the production configuration live traffic runs on."""

import re
from dataclasses import dataclass
from typing import Any

from beanie import PydanticObjectId

from app.access import Principal
from app.catalog import Channel
from app.documents import (
    ChatConfiguration,
    Persona,
    PersonaStatus,
    PersonaVersion,
    VoiceConfiguration,
)
from app.locales import language_of

MAX_PAGE = 100


@dataclass(frozen=True)
class Page:
    items: list[Persona]
    has_next: bool
    total: int


def _status_filter(status: PersonaStatus) -> dict[str, Any]:
    if status is PersonaStatus.DRAFT:
        return {"production": None}
    same = {
        "$eq" if status is PersonaStatus.PUBLISHED else "$ne": [
            "$draft_digest",
            "$production.digest",
        ]
    }
    return {"production": {"$ne": None}, "$expr": same}


async def list_personas(
    actor: Principal,
    first: int,
    after: PydanticObjectId | None = None,
    search: str | None = None,
    status: PersonaStatus | None = None,
) -> Page:
    """Newest first; two round trips (the page and its count) whatever the page size."""
    query: dict[str, Any] = {"workspace_id": actor.workspace_id}
    if search:
        query["draft.name"] = {"$regex": re.escape(search), "$options": "i"}
    if status is not None:
        query |= _status_filter(status)
    total = await Persona.find(query).count()
    page_query = query if after is None else {**query, "_id": {"$lt": after}}
    rows = await Persona.find(page_query).sort("-_id").limit(first + 1).to_list()
    return Page(rows[:first], len(rows) > first, total)


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
    actor: Principal, persona_id: PydanticObjectId, channel: Channel, locale: str | None
) -> LiveConfiguration | None:
    """What a live call or chat runs with: production only, None before the first publish."""
    persona = await Persona.find_one(
        Persona.id == persona_id, Persona.workspace_id == actor.workspace_id
    )
    if persona is None or persona.production is None:
        return None
    snapshot = persona.production.snapshot
    voice = pick_voice(snapshot.voice_configurations, locale) if channel is Channel.VOICE else None
    chat = snapshot.chat_configuration if channel is Channel.CHAT else None
    if voice is None and chat is None:
        return None
    return LiveConfiguration(
        persona_id=persona_id,
        version=persona.production.version,
        name=snapshot.name,
        memory=snapshot.memory,
        channel=channel,
        requested_locale=locale,
        voice=voice,
        chat=chat,
    )


async def get_version(persona_id: PydanticObjectId, version: int) -> PersonaVersion | None:
    return await PersonaVersion.find_one(
        PersonaVersion.persona_id == persona_id, PersonaVersion.version == version
    )


@dataclass(frozen=True)
class VersionPage:
    items: list[PersonaVersion]
    has_next: bool
    total: int


async def list_versions(
    persona_id: PydanticObjectId, first: int, before_version: int | None = None
) -> VersionPage:
    """Published versions, newest first, starting below `before_version`."""
    query: dict[str, Any] = {"persona_id": persona_id}
    total = await PersonaVersion.find(query).count()
    if before_version is not None:
        query["version"] = {"$lt": before_version}
    rows = await PersonaVersion.find(query).sort("-version").limit(first + 1).to_list()
    return VersionPage(rows[:first], len(rows) > first, total)

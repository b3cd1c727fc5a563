"""A snapshot resolved for one call start: its channel's configuration, rendered, with what it
attaches. Published versions resolve so for live calls; the draft for a preview.
"""

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from beanie import PydanticObjectId

from app.library.catalog import Channel
from app.library.locales import language_of
from app.library.tools.definitions import ToolDefinition
from app.personas.documents import (
    ChatConfiguration,
    KnowledgeBaseAttachment,
    Persona,
    Snapshot,
    VoiceConfiguration,
)
from app.personas.references import pin
from app.personas.templates import OpenMapping, render
from app.personas.variables import MEMORY_NAME, resolve_values
from app.platform.clock import utcnow

PRODUCTION = "production"
# The locale built-in of a chat that names none and a persona with no voice to borrow one from.
UNDETERMINED = "und"


def no_memory() -> dict[str, object]:
    """What templates see of a contact's memory when there is none to tell."""
    return {"facts": OpenMapping(), "conversations": []}


class UnknownEnvironment(Exception):
    """The call names an environment the workspace does not have.

    Environments are release's to look up (app.release.environments); whoever calls
    `resolve` or `preview` raises this, and passes the environment's values in.
    """

    def __init__(self, name: str) -> None:
        super().__init__(f"The workspace has no environment {name[:64]!r}.")


class RolloutArm(StrEnum):
    BASELINE = "BASELINE"
    CANDIDATE = "CANDIDATE"


@dataclass(frozen=True)
class CallStart:
    """What the caller says about the call: everything but the persona."""

    channel: Channel
    locale: str | None = None
    environment: str = PRODUCTION
    contact_id: str | None = None
    values: dict[str, object] | None = None


@dataclass(frozen=True)
class Resolution:
    persona_id: PydanticObjectId
    version: int
    name: str
    memory: bool
    call: CallStart
    voice: VoiceConfiguration | None
    chat: ChatConfiguration | None
    rollout_arm: RolloutArm
    resolution_id: str
    prompt: str
    first_message: str | None
    variables: dict[str, object]
    ignored_variables: list[str]
    tools: list[ToolDefinition]
    knowledge_bases: list[KnowledgeBaseAttachment]


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


def resolution_id(
    persona_id: PydanticObjectId,
    version: int,
    call: CallStart,
    locale: str,
    arm: RolloutArm,
    preview: bool = False,
) -> str:
    """Equal exactly when persona, version, environment, channel, locale and arm are.

    A preview's id has its own kind, so that it never equals a published resolution's.
    """
    kind = "Preview" if preview else "Resolution"
    key = f"{kind}:{persona_id}:{version}:{call.environment}:{call.channel}:{locale}:{arm}"
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _used_locale(snapshot: Snapshot, voice: VoiceConfiguration | None, call: CallStart) -> str:
    if voice is not None:
        return voice.locale
    return call.locale or next(iter(snapshot.voice_configurations), UNDETERMINED)


def builtins(snapshot: Snapshot, call: CallStart, locale: str, now: datetime) -> dict[str, object]:
    values: dict[str, object] = {
        "persona_name": snapshot.name,
        "locale": locale,
        "channel": call.channel.lower(),
        "environment": call.environment,
        "now": now.isoformat().replace("+00:00", "Z"),
    }
    if call.contact_id is not None:
        values["contact_id"] = call.contact_id
    return values


def resolve(
    persona_id: PydanticObjectId,
    version: int,
    snapshot: Snapshot,
    call: CallStart,
    arm: RolloutArm = RolloutArm.BASELINE,
    preview: bool = False,
    memory: Mapping[str, object] | None = None,
    environment_values: Mapping[str, object] | None = None,
) -> Resolution | None:
    """The call start's answer; None when the snapshot has no configuration for the channel.

    `memory` is the `contact_memory` templates see (app.memory makes it); empty when None.
    `environment_values` are the values of the call's environment, between the persona's
    defaults and the call's own values.

    Raises MissingVariables, InvalidVariables or RenderFailed when it cannot render.
    """
    voice = pick_voice(snapshot.voice_configurations, call.locale)
    voice = voice if call.channel is Channel.VOICE else None
    chat = snapshot.chat_configuration if call.channel is Channel.CHAT else None
    if voice is None and chat is None:
        return None
    locale = _used_locale(snapshot, voice, call)
    given = builtins(snapshot, call, locale, utcnow())
    resolved = resolve_values(
        snapshot.variables, given, environment_values or {}, call.values or {}
    )
    prompt = voice.prompt if voice is not None else chat.prompt if chat is not None else ""
    first = voice.first_message if voice is not None else None
    rendering = {**resolved.values, MEMORY_NAME: memory if memory is not None else no_memory()}
    return Resolution(
        persona_id=persona_id,
        version=version,
        name=snapshot.name,
        memory=snapshot.memory,
        call=call,
        voice=voice,
        chat=chat,
        rollout_arm=arm,
        resolution_id=resolution_id(persona_id, version, call, locale, arm, preview),
        prompt=render(prompt, rendering),
        first_message=render(first, rendering) if first is not None else None,
        variables=resolved.values,
        ignored_variables=resolved.ignored,
        tools=[
            a.definition
            for a in snapshot.tools
            if call.channel in a.channels and a.definition is not None
        ],
        knowledge_bases=[a for a in snapshot.knowledge_bases if call.channel in a.channels],
    )


async def preview(
    persona: Persona,
    call: CallStart,
    memory: Mapping[str, object] | None = None,
    environment_values: Mapping[str, object] | None = None,
) -> Resolution | None:
    """The draft resolved as the next publish would be: pinned as now, recorded nowhere."""
    pinned, _ = await pin(persona.workspace_id, persona.draft)
    assert persona.id is not None
    # Versions are contiguous: the next publish gets the one after the newest.
    upcoming = persona.newest_version + 1
    return resolve(
        persona.id,
        upcoming,
        pinned,
        call,
        preview=True,
        memory=memory,
        environment_values=environment_values,
    )

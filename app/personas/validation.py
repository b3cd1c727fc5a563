"""Every input rule of a persona, reported as Problems with field paths; nothing raises here."""

from app.library.catalog import Catalog, Channel
from app.library.locales import InvalidLocale, canonical_locale
from app.personas.documents import ChatConfiguration, FirstSpeaker, Snapshot, VoiceConfiguration
from app.personas.templates import check_template, used_variables
from app.personas.variables import TEMPLATE_NAMES, check_variables
from app.platform.errors import ErrorCode, Problem
from app.platform.quoting import quoted
from app.platform.text import Path, check_free_text, check_text

MAX_NAME = 200
MAX_PROMPT = 32_000
MAX_FIRST_MESSAGE = 2_000
MAX_NOTE = 1_000
TEMPERATURE = (0.0, 2.0)
DURATION = (10, 14_400)
# Names a template uses are the author's text: a few, shortened, are enough to find them.
MAX_NAMES_SHOWN = 5
MAX_NAME_SHOWN = 64


def check_note(note: str | None, path: Path) -> list[Problem]:
    if note is None:
        return []
    if len(note) > MAX_NOTE:
        return [Problem(path, f"Note must be at most {MAX_NOTE} characters.")]
    return check_free_text(note, path, "Note")


def _check_prompt(prompt: str, path: Path) -> list[Problem]:
    return check_text(prompt, path, "Prompt", MAX_PROMPT) or check_template(prompt, path)


def _check_temperature(value: float, path: Path) -> list[Problem]:
    low, high = TEMPERATURE
    if not low <= value <= high:
        return [Problem((*path, "temperature"), f"Temperature must be between {low} and {high}.")]
    return []


def _check_model(key: str, channel: Channel, path: Path, catalog: Catalog) -> list[Problem]:
    model = catalog.models.get(key)
    if model is None:
        return [Problem((*path, "modelKey"), f"Unknown language model {quoted(key)}.")]
    if channel not in model.channels:
        return [
            Problem((*path, "modelKey"), f"Model {quoted(key)} is not available for {channel}.")
        ]
    return []


def check_voice(
    config: VoiceConfiguration, path: Path, catalog: Catalog
) -> tuple[VoiceConfiguration, list[Problem]]:
    """Validate one voice configuration; returns it with its locale in canonical form."""
    problems = _check_prompt(config.prompt, (*path, "prompt"))
    locale: str | None = None
    try:
        locale = canonical_locale(config.locale)
    except InvalidLocale as exc:
        problems.append(Problem((*path, "locale"), f"{exc}."))
    voice = catalog.voices.get(config.voice_key)
    if voice is None:
        problems.append(Problem((*path, "voiceKey"), f"Unknown voice {quoted(config.voice_key)}."))
    elif locale is not None and not voice.speaks(locale):
        message = (
            f"Voice {voice.key!r} cannot speak {locale}; it speaks {', '.join(voice.locales)}."
        )
        problems.append(Problem((*path, "voiceKey"), message, ErrorCode.VOICE_LOCALE_MISMATCH))
    problems += _check_model(config.model_key, Channel.VOICE, path, catalog)
    problems += _check_temperature(config.temperature, path)
    if config.first_message is not None:
        if len(config.first_message) > MAX_FIRST_MESSAGE:
            message = f"First message must be at most {MAX_FIRST_MESSAGE} characters."
            problems.append(Problem((*path, "firstMessage"), message))
        else:
            problems += check_free_text(
                config.first_message, (*path, "firstMessage"), "First message"
            )
            problems += check_template(config.first_message, (*path, "firstMessage"))
    low, high = DURATION
    if not low <= config.max_duration_seconds <= high:
        message = f"Max duration must be between {low} and {high} seconds."
        problems.append(Problem((*path, "maxDurationSeconds"), message))
    if config.silence_timeout_seconds < 1:
        message = "Silence timeout must be at least 1 second."
        problems.append(Problem((*path, "silenceTimeoutSeconds"), message))
    elif config.silence_timeout_seconds > config.max_duration_seconds:
        message = "Silence timeout must not exceed the max duration."
        problems.append(Problem((*path, "silenceTimeoutSeconds"), message))
    return config.model_copy(update={"locale": locale or config.locale}), problems


def check_voices(
    configs: list[VoiceConfiguration], path: Path, catalog: Catalog
) -> tuple[dict[str, VoiceConfiguration], list[Problem]]:
    """Validate a list of voice configurations and key them by locale, refusing duplicates."""
    keyed: dict[str, VoiceConfiguration] = {}
    problems: list[Problem] = []
    for index, raw in enumerate(configs):
        item_path = (*path, str(index))
        config, found = check_voice(raw, item_path, catalog)
        problems += found
        if config.locale in keyed:
            message = f"Locale {config.locale} is configured more than once."
            problems.append(Problem((*item_path, "locale"), message, ErrorCode.DUPLICATE_LOCALE))
        keyed[config.locale] = config
    return keyed, problems


def check_chat(config: ChatConfiguration, path: Path, catalog: Catalog) -> list[Problem]:
    problems = _check_prompt(config.prompt, (*path, "prompt"))
    problems += _check_model(config.model_key, Channel.CHAT, path, catalog)
    problems += _check_temperature(config.temperature, path)
    model = catalog.models.get(config.model_key)
    limit = model.max_output_tokens if model else None
    if config.max_tokens < 1 or (limit is not None and config.max_tokens > limit):
        bound = f"between 1 and {limit}" if limit is not None else "at least 1"
        problems.append(Problem((*path, "maxTokens"), f"Max tokens must be {bound}."))
    return problems


def publish_problems(draft: Snapshot, catalog: Catalog) -> list[Problem]:
    """Why this draft may not go live; an incomplete draft is fine until it is published."""
    problems = _as_not_publishable(check_variables(draft.variables, ("draft", "variables")))
    if not draft.voice_configurations and draft.chat_configuration is None:
        message = "Add a voice or a chat configuration before publishing."
        problems.append(Problem(("draft",), message, ErrorCode.NOT_PUBLISHABLE))
    for locale, voice in draft.voice_configurations.items():
        path = ("draft", "voiceConfigurations", locale)
        if voice.first_speaker is FirstSpeaker.AGENT and not (voice.first_message or "").strip():
            message = f"The {locale} agent speaks first, so it needs a first message."
            problems.append(Problem((*path, "firstMessage"), message, ErrorCode.NOT_PUBLISHABLE))
        problems += _as_not_publishable(check_voice(voice, path, catalog)[1])
        problems += _undefined_variables(voice.prompt, (*path, "prompt"), draft)
        if voice.first_message is not None:
            problems += _undefined_variables(voice.first_message, (*path, "firstMessage"), draft)
    chat = draft.chat_configuration
    if chat is not None:
        chat_path = ("draft", "chatConfiguration")
        if chat.forward_to_voice and not draft.voice_configurations:
            message = "Forwarding to voice needs at least one voice configuration."
            problems.append(
                Problem((*chat_path, "forwardToVoice"), message, ErrorCode.NOT_PUBLISHABLE)
            )
        problems += _as_not_publishable(check_chat(chat, chat_path, catalog))
        problems += _undefined_variables(chat.prompt, (*chat_path, "prompt"), draft)
    return problems


def _undefined_variables(template: str, path: Path, draft: Snapshot) -> list[Problem]:
    # Allowed while drafting (the variable may be defined next); live, it could not render.
    defined = TEMPLATE_NAMES | {variable.name for variable in draft.variables}
    undefined = sorted(used_variables(template) - defined)
    if not undefined:
        return []
    shown = ", ".join(repr(name[:MAX_NAME_SHOWN]) for name in undefined[:MAX_NAMES_SHOWN])
    hidden = len(undefined) - MAX_NAMES_SHOWN
    more = f" and {hidden} more" if hidden > 0 else ""
    message = f"Uses variables the persona does not define: {shown}{more}. Define them first."
    return [Problem(path, message, ErrorCode.NOT_PUBLISHABLE)]


def _as_not_publishable(problems: list[Problem]) -> list[Problem]:
    # The catalog may have dropped a voice or model since the draft was written, and drafts
    # written before prompts were templates may not parse as ones.
    return [Problem(p.path, p.message, ErrorCode.NOT_PUBLISHABLE) for p in problems]

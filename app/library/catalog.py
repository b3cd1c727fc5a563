"""The catalog of voices and language models a configuration may select, loaded once."""

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files

from app.library.locales import language_of


class Channel(StrEnum):
    VOICE = "VOICE"
    CHAT = "CHAT"


@dataclass(frozen=True)
class Voice:
    key: str
    name: str
    provider: str
    locales: tuple[str, ...]
    gender: str | None = None

    def speaks(self, locale: str) -> bool:
        return locale in self.locales


@dataclass(frozen=True)
class LanguageModel:
    key: str
    name: str
    provider: str
    channels: tuple[Channel, ...]
    max_output_tokens: int


@dataclass(frozen=True)
class Catalog:
    voices: dict[str, Voice]
    models: dict[str, LanguageModel]

    def voices_for(self, locale: str | None = None) -> list[Voice]:
        """Voices that can speak `locale` exactly, or all voices."""
        return [v for v in self.voices.values() if locale is None or v.speaks(locale)]

    def models_for(self, channel: Channel | None = None) -> list[LanguageModel]:
        return [m for m in self.models.values() if channel is None or channel in m.channels]

    def languages(self) -> set[str]:
        return {language_of(locale) for voice in self.voices.values() for locale in voice.locales}


@cache
def load_catalog() -> Catalog:
    raw = json.loads(files("app.library").joinpath("catalog.json").read_text(encoding="utf-8"))
    voices = {
        v["key"]: Voice(v["key"], v["name"], v["provider"], tuple(v["locales"]), v.get("gender"))
        for v in raw["voices"]
    }
    models = {
        m["key"]: LanguageModel(
            m["key"],
            m["name"],
            m["provider"],
            tuple(Channel(c) for c in m["channels"]),
            m["maxOutputTokens"],
        )
        for m in raw["languageModels"]
    }
    return Catalog(voices, models)

"""The Node interface and the catalog types a configuration selects from."""

from typing import Self

import strawberry

from app.library import catalog
from graphql_schema import ids
from graphql_schema.scalars import Locale

strawberry.enum(catalog.Channel)
Channel = catalog.Channel


@strawberry.interface(description="An object with an opaque global id (Relay).")
class Node:
    id: strawberry.ID


@strawberry.type
class Voice(Node):
    key: str = strawberry.field(description='Stable catalog key, e.g. "sara-en-us-f".')
    name: str
    provider: str
    locales: list[Locale] = strawberry.field(description="A voice may only be used for these.")
    gender: str | None

    @classmethod
    def from_catalog(cls, voice: catalog.Voice) -> Self:
        return cls(
            id=strawberry.ID(ids.encode("Voice", voice.key)),
            key=voice.key,
            name=voice.name,
            provider=voice.provider,
            locales=[Locale(locale) for locale in voice.locales],
            gender=voice.gender,
        )

    @classmethod
    def missing(cls, key: str) -> Self:
        """Stands in for a voice the catalog no longer lists, so old versions stay readable."""
        return cls(
            id=strawberry.ID(ids.encode("Voice", key)),
            key=key,
            name=key,
            provider="unknown",
            locales=[],
            gender=None,
        )


@strawberry.type
class LanguageModel(Node):
    key: str = strawberry.field(description='e.g. "gpt-4o-mini".')
    name: str
    provider: str
    channels: list[Channel]
    max_output_tokens: int

    @classmethod
    def from_catalog(cls, model: catalog.LanguageModel) -> Self:
        return cls(
            id=strawberry.ID(ids.encode("LanguageModel", model.key)),
            key=model.key,
            name=model.name,
            provider=model.provider,
            channels=list(model.channels),
            max_output_tokens=model.max_output_tokens,
        )

    @classmethod
    def missing(cls, key: str) -> Self:
        return cls(
            id=strawberry.ID(ids.encode("LanguageModel", key)),
            key=key,
            name=key,
            provider="unknown",
            channels=[],
            max_output_tokens=0,
        )


def voice(key: str) -> Voice:
    found = catalog.load_catalog().voices.get(key)
    return Voice.from_catalog(found) if found else Voice.missing(key)


def language_model(key: str) -> LanguageModel:
    found = catalog.load_catalog().models.get(key)
    return LanguageModel.from_catalog(found) if found else LanguageModel.missing(key)

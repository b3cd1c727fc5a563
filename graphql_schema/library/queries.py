"""The catalog a configuration chooses from."""

import strawberry

from app.library.catalog import load_catalog
from graphql_schema.library.types import Channel, LanguageModel, Voice
from graphql_schema.scalars import Locale, query_locale


@strawberry.type
class LibraryQuery:
    @strawberry.field(description="Every voice, or those that can speak the locale.")
    def voices(self, locale: Locale | None = None) -> list[Voice]:
        return [Voice.from_catalog(v) for v in load_catalog().voices_for(query_locale(locale))]

    @strawberry.field(description="Every language model, or those offered for the channel.")
    def language_models(self, channel: Channel | None = None) -> list[LanguageModel]:
        return [LanguageModel.from_catalog(m) for m in load_catalog().models_for(channel)]

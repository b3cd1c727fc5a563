"""Queries. Unknown and malformed ids read as null; malformed arguments are GraphQL errors."""

import strawberry

from app.library.catalog import load_catalog
from app.personas import drafts, pages
from app.release import live
from graphql_schema import ids
from graphql_schema.catalog_types import Channel, LanguageModel, Node, Voice
from graphql_schema.context import Info
from graphql_schema.keys import ApiKeyQuery
from graphql_schema.pagination import PageInfo, after_cursor, page_size
from graphql_schema.scalars import Locale, query_locale
from graphql_schema.types import (
    LiveConfiguration,
    Persona,
    PersonaConnection,
    PersonaEdge,
    PersonaStatus,
)


async def _persona(info: Info, global_id: str) -> Persona | None:
    object_id = ids.decode_object_id(global_id, "Persona")
    if object_id is None:
        return None
    found = await drafts.get_persona(info.context.actor, object_id)
    return Persona.from_document(found) if found else None


@strawberry.type
class Query(ApiKeyQuery):
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        decoded = ids.decode(id)
        if decoded is None:
            return None
        kind, key = decoded
        catalog = load_catalog()
        if kind == "Persona":
            return await _persona(info, id)
        if kind == "Voice" and key in catalog.voices:
            return Voice.from_catalog(catalog.voices[key])
        if kind == "LanguageModel" and key in catalog.models:
            return LanguageModel.from_catalog(catalog.models[key])
        return None

    @strawberry.field
    async def persona(self, info: Info, id: strawberry.ID) -> Persona | None:
        return await _persona(info, id)

    @strawberry.field(description=f"Newest first; first <= {pages.MAX_PAGE}.")
    async def personas(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        search: str | None = None,
        status: PersonaStatus | None = None,
    ) -> PersonaConnection:
        first = page_size(first)
        before = after_cursor(after, ids.decode_cursor)
        where = pages.PersonaFilter(search, status)
        page = await pages.list_personas(info.context.actor, first, before, where)
        edges = [
            PersonaEdge(cursor=ids.cursor(p.seq), node=Persona.from_document(p)) for p in page.items
        ]
        return PersonaConnection(
            edges=edges,
            page_info=PageInfo.of(edges, page.has_next, after is not None),
            actor=info.context.actor,
            where=where,
        )

    @strawberry.field(description="Every voice, or those that can speak the locale.")
    def voices(self, locale: Locale | None = None) -> list[Voice]:
        return [Voice.from_catalog(v) for v in load_catalog().voices_for(query_locale(locale))]

    @strawberry.field(description="Every language model, or those offered for the channel.")
    def language_models(self, channel: Channel | None = None) -> list[LanguageModel]:
        return [LanguageModel.from_catalog(m) for m in load_catalog().models_for(channel)]

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
        return LiveConfiguration.from_result(answer) if answer else None

"""Persona queries. Unknown and malformed ids read as null; bad arguments are GraphQL errors."""

import strawberry

from app.library.catalog import load_catalog
from app.personas import pages, store
from graphql_schema import ids
from graphql_schema.arguments import search_text
from graphql_schema.context import Info
from graphql_schema.library.types import LanguageModel, Node, Voice
from graphql_schema.memory.queries import find_receipt
from graphql_schema.pagination import PageInfo, after_cursor, page_size
from graphql_schema.personas.knowledge import find_knowledge_base
from graphql_schema.personas.tools import find_tool
from graphql_schema.personas.types import (
    Persona,
    PersonaConnection,
    PersonaStatus,
    persona_edges,
)
from graphql_schema.release.schedules import find_scheduled_publish


async def _persona(info: Info, global_id: str) -> Persona | None:
    object_id = ids.decode_object_id(global_id, "Persona")
    if object_id is None:
        return None
    found = await store.get_persona(info.context.actor, object_id)
    return Persona.from_document(found) if found else None


@strawberry.type
class PersonaQuery:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        decoded = ids.decode(id)
        if decoded is None:
            return None
        kind, key = decoded
        catalog = load_catalog()
        if kind == "Persona":
            return await _persona(info, id)
        if kind == "Tool":
            return await find_tool(info, id)
        if kind == "KnowledgeBase":
            return await find_knowledge_base(info, id)
        if kind == "ErasureReceipt":
            return await find_receipt(info, id)
        if kind == "ScheduledPublish":
            return await find_scheduled_publish(info, id)
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
        where = pages.PersonaFilter(search_text(search), status)
        page = await pages.list_personas(info.context.actor, first, before, where)
        edges = persona_edges(page.items)
        return PersonaConnection(
            edges=edges,
            page_info=PageInfo.of(edges, page.has_next, after is not None),
            counter=lambda: pages.count_personas(info.context.actor, where),
        )

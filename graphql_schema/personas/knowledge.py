"""Knowledge bases over GraphQL: the workspace's bases, their sources, and who attaches them."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Self

import strawberry
from beanie import PydanticObjectId

from app.library.errors import NotFound
from app.library.knowledge import definitions, documents
from app.personas import knowledge, users
from graphql_schema import ids
from graphql_schema.context import Info
from graphql_schema.library.types import Node
from graphql_schema.pagination import PageInfo, after_cursor, page_size
from graphql_schema.personas.types import PersonaConnection, attached_by

strawberry.enum(definitions.KnowledgeSourceKind)
KnowledgeSourceKind = definitions.KnowledgeSourceKind
LABEL = "Knowledge base"


@strawberry.type
class KnowledgeSource:
    source: strawberry.Private[definitions.KnowledgeSource]
    id: strawberry.ID
    kind: KnowledgeSourceKind
    title: str
    url: str | None
    characters: int
    content_hash: str = strawberry.field(
        description="sha256 of the text (TEXT) or the URL (URL): re-index when it changes."
    )
    fetched_at: datetime | None = strawberry.field(
        description="URL sources: when `text` was last fetched (null: never)."
    )
    fetch_error: str | None = strawberry.field(
        description="URL sources: why the last fetch failed, if it did."
    )
    text_hash: str | None = strawberry.field(
        description="sha256 of the text retrieval runs over (URL sources: the fetched text)."
    )

    @classmethod
    def of(cls, source: definitions.KnowledgeSource) -> Self:
        return cls(
            source=source,
            id=strawberry.ID(source.id),
            kind=source.kind,
            title=source.title,
            url=source.url,
            characters=source.characters,
            content_hash=source.content_hash,
            fetched_at=source.fetched_at,
            fetch_error=source.fetch_error,
            text_hash=source.stored_text_hash,
        )

    @strawberry.field(
        description="A TEXT source's text (up to 200,000 characters); a URL source's as fetched."
    )
    async def text(self, info: Info) -> str | None:
        key = self.source.stored_text_hash
        return None if key is None else await info.context.texts.load(key)


def _sources(sources: list[definitions.KnowledgeSource]) -> list[KnowledgeSource]:
    return [KnowledgeSource.of(source) for source in sources]


@strawberry.type(description="A knowledge base as one snapshot runs it: pinned when published.")
class KnowledgeBaseDefinition:
    knowledge_base_id: strawberry.ID
    revision: int
    name: str
    sources: list[KnowledgeSource]

    @classmethod
    def of(cls, definition: definitions.KnowledgeBaseDefinition) -> Self:
        return cls(
            knowledge_base_id=strawberry.ID(knowledge_base_id(definition.knowledge_base_id)),
            revision=definition.revision,
            name=definition.name,
            sources=_sources(definition.sources),
        )


@strawberry.type
class KnowledgeBase(Node):
    knowledge_base: strawberry.Private[documents.KnowledgeBase]
    name: str
    description: str | None
    sources: list[KnowledgeSource]
    revision: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_document(cls, base: documents.KnowledgeBase) -> Self:
        return cls(
            id=strawberry.ID(knowledge_base_id(base.id)),
            knowledge_base=base,
            name=base.name,
            description=base.description,
            sources=_sources(base.sources),
            revision=base.revision,
            created_at=base.created_at,
            updated_at=base.updated_at,
        )

    @strawberry.field(description="Personas whose draft attaches this knowledge base.")
    async def used_by(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> PersonaConnection:
        assert self.knowledge_base.id is not None
        return await attached_by(info, users.KNOWLEDGE_BASES, self.knowledge_base.id, first, after)


def knowledge_base_id(object_id: PydanticObjectId | None) -> str:
    return ids.encode("KnowledgeBase", str(object_id))


def knowledge_base_object_id(global_id: str, field: str) -> PydanticObjectId:
    object_id = ids.decode_object_id(global_id, "KnowledgeBase")
    if object_id is None:
        raise NotFound(LABEL, (field,))
    return object_id


async def find_knowledge_base(info: Info, global_id: str) -> KnowledgeBase | None:
    object_id = ids.decode_object_id(global_id, "KnowledgeBase")
    if object_id is None:
        return None
    found = await knowledge.get_knowledge_base(info.context.actor, object_id)
    return KnowledgeBase.from_document(found) if found else None


@strawberry.type
class KnowledgeBaseEdge:
    cursor: str
    node: KnowledgeBase


@strawberry.type
class KnowledgeBaseConnection:
    edges: list[KnowledgeBaseEdge]
    page_info: PageInfo
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Counted only when asked for.")
    async def total_count(self) -> int:
        return await self.counter()


@strawberry.type
class KnowledgeQuery:
    @strawberry.field(description="Newest first; search matches part of the name.")
    async def knowledge_bases(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        search: str | None = None,
    ) -> KnowledgeBaseConnection:
        first = page_size(first)
        before = after_cursor(after, ids.decode_cursor)
        actor = info.context.actor
        page = await knowledge.list_knowledge_bases(actor, first, before, search)
        edges = [
            KnowledgeBaseEdge(cursor=ids.cursor(base.seq), node=KnowledgeBase.from_document(base))
            for base in page.items
        ]
        return KnowledgeBaseConnection(
            edges=edges,
            page_info=PageInfo.of(edges, page.has_next, after is not None),
            counter=lambda: knowledge.count_knowledge_bases(actor, search),
        )

    @strawberry.field
    async def knowledge_base(self, info: Info, id: strawberry.ID) -> KnowledgeBase | None:
        return await find_knowledge_base(info, id)

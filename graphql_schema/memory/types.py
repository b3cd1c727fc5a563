"""What GraphQL shows of contact memory and of erasures."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Self, cast

import strawberry
from strawberry.scalars import JSON

from app.library.catalog import Channel
from app.memory import documents, recall
from graphql_schema import ids
from graphql_schema.library.types import Node
from graphql_schema.pagination import PageInfo
from graphql_schema.personas.memory_policy import MemoryScope


@strawberry.type
class ConversationMemory:
    id: strawberry.ID
    persona_id: strawberry.ID
    version: int = strawberry.field(description="The version the conversation ran on.")
    channel: Channel
    resolution_id: strawberry.ID | None = strawberry.field(description="As given by the runtime.")
    summary: str = strawberry.field(description="1 .. 4,000 characters.")
    ended_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, conversation: documents.Conversation | recall.Recalled) -> Self:
        resolution_id = conversation.resolution_id
        return cls(
            id=strawberry.ID(ids.encode("ConversationMemory", str(conversation.id))),
            persona_id=strawberry.ID(ids.persona_id(conversation.persona_id)),
            version=conversation.version,
            channel=conversation.channel,
            resolution_id=strawberry.ID(resolution_id) if resolution_id is not None else None,
            summary=conversation.summary,
            ended_at=conversation.ended_at,
            expires_at=conversation.expires_at,
        )


@strawberry.type
class ContactMemory:
    contact_id: str
    scope: MemoryScope
    facts: JSON = strawberry.field(
        description="The latest value per key; a record's null value deletes its key."
    )
    conversations: list[ConversationMemory] = strawberry.field(
        description="Newest first; at most recallConversations at call start; none past retention."
    )

    @classmethod
    def of(cls, memory: recall.ContactMemory) -> Self:
        return cls(
            contact_id=memory.contact_id,
            scope=memory.scope,
            facts=cast(JSON, dict(memory.facts)),
            conversations=[ConversationMemory.of(c) for c in memory.conversations],
        )


def receipt_id(receipt: documents.ErasureReceipt) -> strawberry.ID:
    return strawberry.ID(ids.encode("ErasureReceipt", str(receipt.id)))


@strawberry.type(
    description="Proof of an erasure: no content and not the contact id, only its sha256."
)
class ErasureReceipt(Node):
    contact_id_sha256: str
    persona_id: strawberry.ID | None
    conversations_deleted: int
    facts_deleted: int = strawberry.field(description="Fact keys deleted.")
    erased_at: datetime
    erased_by: str

    @classmethod
    def of(cls, receipt: documents.ErasureReceipt) -> Self:
        persona = receipt.persona_id
        return cls(
            id=receipt_id(receipt),
            contact_id_sha256=receipt.contact_id_sha256,
            persona_id=strawberry.ID(ids.persona_id(persona)) if persona is not None else None,
            conversations_deleted=receipt.conversations_deleted,
            facts_deleted=receipt.facts_deleted,
            erased_at=receipt.erased_at,
            erased_by=receipt.erased_by,
        )


@strawberry.type
class ErasureReceiptEdge:
    cursor: str
    node: ErasureReceipt


@strawberry.type
class ErasureReceiptConnection:
    edges: list[ErasureReceiptEdge]
    page_info: PageInfo
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Counted only when asked for.")
    async def total_count(self) -> int:
        return await self.counter()

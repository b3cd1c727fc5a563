"""contactMemory and erasureReceipts. Unknown ids read as null; refusals are field errors."""

import strawberry

from app.access.permissions import Operation, require
from app.access.principal import Forbidden
from app.memory import erasure, recall
from app.platform.clock import utcnow
from graphql_schema import arguments, ids
from graphql_schema.context import Info
from graphql_schema.errors import field_error
from graphql_schema.memory.types import (
    ContactMemory,
    ErasureReceipt,
    ErasureReceiptConnection,
    ErasureReceiptEdge,
)
from graphql_schema.pagination import PageInfo, after_cursor, page_size


@strawberry.type
class MemoryQuery:
    @strawberry.field(
        description="RUNTIME or ADMIN: what this persona's next call start would get of the "
        "contact; null when its production has memory off or it was never published."
    )
    async def contact_memory(
        self, info: Info, contact_id: str, persona_id: strawberry.ID
    ) -> ContactMemory | None:
        contact_id = arguments.contact_id(contact_id)
        object_id = ids.decode_object_id(persona_id, "Persona")
        try:
            if object_id is None:
                require(info.context.actor, Operation.READ_CONTACT_MEMORY)
                return None
            found = await recall.contact_memory(info.context.actor, object_id, contact_id, utcnow())
        except Forbidden as error:
            raise field_error(error) from None
        return ContactMemory.of(found) if found is not None else None

    @strawberry.field(description="ADMIN; newest first.")
    async def erasure_receipts(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> ErasureReceiptConnection:
        first = page_size(first)
        before = after_cursor(after, ids.decode_cursor)
        actor = info.context.actor
        try:
            receipts, has_next = await erasure.erasure_receipts(actor, first, before)
        except Forbidden as error:
            raise field_error(error) from None
        edges = [
            ErasureReceiptEdge(cursor=ids.cursor(receipt.seq), node=ErasureReceipt.of(receipt))
            for receipt in receipts
        ]
        return ErasureReceiptConnection(
            edges=edges,
            page_info=PageInfo.of(edges, has_next, after is not None),
            counter=lambda: erasure.count_receipts(actor),
        )


async def find_receipt(info: Info, global_id: str) -> ErasureReceipt | None:
    """node(id) for a receipt: ADMIN only, like erasureReceipts."""
    object_id = ids.decode_object_id(global_id, "ErasureReceipt")
    try:
        found = await erasure.get_receipt(info.context.actor, object_id) if object_id else None
    except Forbidden as error:
        raise field_error(error) from None
    return ErasureReceipt.of(found) if found is not None else None

"""forgetContact: every conversation and fact of a contact deleted, and a receipt that proves
it without keeping the contact id or anything said.

Memory is read from the database at every call start, never kept by a process, so once the
deletes are answered no process can serve what they removed.
"""

from collections.abc import Iterable

from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.library.errors import NotFound
from app.memory.documents import Contact, Conversation, ErasureReceipt
from app.memory.spaces import SHARED, Place, check_contact_id, contact_key, own_space
from app.personas.memory_policy import MemoryScope
from app.personas.reads import find_persona
from app.platform.clock import utcnow
from app.platform.counters import last_seq, next_seq
from app.platform.errors import InvalidInput
from app.platform.pages import Row, seq_page

SEQ_KIND = "erasure_receipts"


async def _spaces(actor: Principal, persona_id: PydanticObjectId) -> list[str]:
    """A persona's own memory space, and the shared one when its production recalls from it."""
    persona = await find_persona(actor.workspace_id, persona_id)
    if persona is None:
        raise NotFound("Persona", ("personaId",))
    spaces = [own_space(persona_id)]
    production = persona.production
    if production is not None and production.snapshot.memory_policy.scope is MemoryScope.WORKSPACE:
        spaces.append(SHARED)
    return spaces


async def _delete_facts(selections: Iterable[Row]) -> int:
    collection = Contact.get_pymongo_collection()
    deleted = 0
    for selection in selections:
        async for row in collection.find(selection, {"_id": 1}):
            gone = await collection.find_one_and_delete({"_id": row["_id"]}, {"facts": 1})
            deleted += len(gone.get("facts") or {}) if gone else 0
    return deleted


async def _delete_conversations(selections: Iterable[Row]) -> int:
    collection = Conversation.get_pymongo_collection()
    deleted = 0
    for selection in selections:
        deleted += (await collection.delete_many(selection)).deleted_count
    return deleted


async def forget_contact(
    actor: Principal,
    contact_id: str,
    one_persona: bool = False,
    persona_id: PydanticObjectId | None = None,
) -> ErasureReceipt:
    """Erase the contact in the workspace, or in one persona's memory; answer the receipt.

    With `one_persona`, `persona_id` None is an id that names no persona: NOT_FOUND.
    """
    require(actor, Operation.FORGET_CONTACT)
    problems = check_contact_id(contact_id)
    if problems:
        raise InvalidInput(problems)
    contact = contact_key(contact_id)
    selections: list[Row]
    if not one_persona:
        selections = [{"workspace_id": actor.workspace_id, "contact": contact}]
    elif persona_id is None:
        raise NotFound("Persona", ("personaId",))
    else:
        spaces = await _spaces(actor, persona_id)
        selections = [Place(actor.workspace_id, space, contact).query for space in spaces]
    conversations = await _delete_conversations(selections)
    facts = await _delete_facts(selections)
    collection = ErasureReceipt.get_pymongo_collection()
    receipt = ErasureReceipt(
        workspace_id=actor.workspace_id,
        seq=await next_seq(collection.database, SEQ_KIND, actor.workspace_id),
        contact_id_sha256=contact,
        persona_id=persona_id,
        conversations_deleted=conversations,
        facts_deleted=facts,
        erased_at=utcnow(),
        erased_by=actor.name,
    )
    await receipt.insert()
    return receipt


async def erasure_receipts(
    actor: Principal, first: int, before_seq: int | None
) -> tuple[list[ErasureReceipt], bool]:
    """Newest first, and whether more follow."""
    require(actor, Operation.READ_ERASURE_RECEIPTS)
    collection = ErasureReceipt.get_pymongo_collection()
    if before_seq is None:
        before_seq = await last_seq(collection.database, SEQ_KIND, actor.workspace_id) + 1
    query = {"workspace_id": actor.workspace_id}
    rows, has_next = await seq_page(collection, query, lambda row: True, first, before_seq)
    return [ErasureReceipt.model_validate(row) for row in rows], has_next


async def count_receipts(actor: Principal) -> int:
    require(actor, Operation.READ_ERASURE_RECEIPTS)
    query = {"workspace_id": actor.workspace_id}
    return await ErasureReceipt.get_pymongo_collection().count_documents(query)


async def get_receipt(actor: Principal, receipt_id: PydanticObjectId) -> ErasureReceipt | None:
    require(actor, Operation.READ_ERASURE_RECEIPTS)
    # _id alone is what an index serves; the workspace is checked on the row found.
    found = await ErasureReceipt.get_pymongo_collection().find_one({"_id": receipt_id})
    if found is None or found["workspace_id"] != actor.workspace_id:
        return None
    receipt: ErasureReceipt = ErasureReceipt.model_validate(found)
    return receipt


async def drop_persona_memory(workspace_id: PydanticObjectId, persona_id: PydanticObjectId) -> None:
    """A deleted persona's own memory space goes with it; the shared one is the workspace's."""
    selection = {"workspace_id": workspace_id, "space": own_space(persona_id)}
    await Conversation.get_pymongo_collection().delete_many(selection)
    await Contact.get_pymongo_collection().delete_many(selection)

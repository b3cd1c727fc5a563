"""Storing a workspace's knowledge bases: every change one conditional update on
{workspace, _id, revision} that bumps the revision by one.

Texts go to the text store before the base that refers to them is written, so a stored
source never names a missing text; a refused write may leave a text no one refers to,
which costs space and nothing else. Callers check roles; this module knows workspaces,
not who asks.
"""

import uuid
from typing import Any, NoReturn

from beanie import PydanticObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from app.library.errors import DuplicateName, NotFound, RevisionMismatch
from app.library.knowledge import texts
from app.library.knowledge.definitions import (
    KnowledgeBaseChanges,
    KnowledgeBaseSpec,
    KnowledgeSource,
    KnowledgeSourceKind,
    KnowledgeSourceSpec,
)
from app.library.knowledge.documents import KnowledgeBase
from app.library.knowledge.validation import (
    check_changes,
    check_description,
    check_name,
    check_sources,
    stored_name,
)
from app.library.named import get_named, guard_named, remove_named
from app.platform.clock import utcnow
from app.platform.counters import next_seq
from app.platform.errors import InvalidInput, Problem
from app.platform.text import Path

LABEL = "Knowledge base"
SEQ = "knowledge_bases"
BASE = ("knowledgeBaseId",)


def _collection() -> AsyncCollection[dict[str, Any]]:
    return KnowledgeBase.get_pymongo_collection()


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(problems)


def _description(description: str | None) -> str | None:
    # A blank description says nothing: stored as none at all.
    if description is None:
        return None
    return description.strip() or None


async def _new_sources(specs: list[KnowledgeSourceSpec]) -> list[KnowledgeSource]:
    """The sources as stored, their texts in the text store first."""
    await texts.store_texts(_collection().database, (s.text for s in specs if s.text is not None))
    sources = []
    for spec in specs:
        text = spec.text or ""
        hashed = text if spec.kind is KnowledgeSourceKind.TEXT else spec.url or ""
        sources.append(
            KnowledgeSource(
                id=uuid.uuid4().hex,
                kind=spec.kind,
                title=spec.title.strip(),
                url=spec.url,
                characters=len(text),
                content_hash=texts.content_hash(hashed),
            )
        )
    return sources


async def get_knowledge_base(
    workspace_id: PydanticObjectId, knowledge_base_id: PydanticObjectId
) -> KnowledgeBase | None:
    found = await _collection().find_one({"workspace_id": workspace_id, "_id": knowledge_base_id})
    return KnowledgeBase.model_validate(found) if found else None


async def get_knowledge_bases(
    workspace_id: PydanticObjectId, knowledge_base_ids: list[PydanticObjectId]
) -> dict[PydanticObjectId, KnowledgeBase]:
    return await get_named(KnowledgeBase, workspace_id, knowledge_base_ids)


async def get_texts(hashes: list[str]) -> dict[str, str]:
    """Source texts by hash, for sources the caller has already read."""
    return await texts.get_texts(_collection().database, hashes)


async def create_knowledge_base(
    workspace_id: PydanticObjectId, spec: KnowledgeBaseSpec
) -> KnowledgeBase:
    _refuse(
        check_name(spec.name, ("name",))
        + check_description(spec.description, ("description",))
        + check_sources(spec.sources, 0, ("sources",))
    )
    collection = _collection()
    sources = await _new_sources(spec.sources)
    # A number lost to a refused insert leaves a gap, which pages step over.
    seq = await next_seq(collection.database, SEQ, workspace_id)
    base = KnowledgeBase(
        id=PydanticObjectId(),
        workspace_id=workspace_id,
        seq=seq,
        name=stored_name(spec.name),
        description=_description(spec.description),
        sources=sources,
    )
    try:
        await collection.insert_one(base.stored())
    except DuplicateKeyError:
        raise DuplicateName(LABEL, ("name",)) from None
    return base


async def current_base(
    workspace_id: PydanticObjectId, knowledge_base_id: PydanticObjectId, expected: int, at: Path
) -> KnowledgeBase:
    """The base, if it is at revision `expected`: NOT_FOUND at `at` or REVISION_MISMATCH if not."""
    current = await get_knowledge_base(workspace_id, knowledge_base_id)
    if current is None:
        raise NotFound(LABEL, at)
    if current.revision != expected:
        raise RevisionMismatch(LABEL, expected, current.revision)
    return current


async def write_next(current: KnowledgeBase, fields: dict[str, Any], at: Path) -> KnowledgeBase:
    """Set `fields` at the next revision, if the base is still at the one read."""
    written: KnowledgeBase = current.model_copy(
        update={**fields, "revision": current.revision + 1, "updated_at": utcnow()}
    )
    stored = written.stored()
    names = (*fields, "name_key", "search_grams", "revision", "updated_at")
    try:
        result = await _collection().update_one(
            _identity(current), {"$set": {name: stored[name] for name in names}}
        )
    except DuplicateKeyError:
        raise DuplicateName(LABEL, ("name",)) from None
    if result.matched_count:
        return written
    await _moved(current, at)


async def write_in_place(current: KnowledgeBase, fields: dict[str, Any], at: Path) -> KnowledgeBase:
    """Set `fields`, which are not content, at the same revision, if the base is still there.

    When a page was fetched and why it failed change no passage a version retrieves.
    """
    written: KnowledgeBase = current.model_copy(update=fields)
    stored = written.stored()
    result = await _collection().update_one(
        _identity(current), {"$set": {name: stored[name] for name in fields}}
    )
    if result.matched_count:
        return written
    await _moved(current, at)


def _identity(current: KnowledgeBase) -> dict[str, Any]:
    return {"workspace_id": current.workspace_id, "_id": current.id, "revision": current.revision}


async def _moved(current: KnowledgeBase, at: Path) -> NoReturn:
    """Why a conditional write matched nothing: the base is gone or at another revision."""
    assert current.id is not None
    latest = await get_knowledge_base(current.workspace_id, current.id)
    if latest is None:
        raise NotFound(LABEL, at)
    raise RevisionMismatch(LABEL, current.revision, latest.revision)


async def update_knowledge_base(
    workspace_id: PydanticObjectId,
    knowledge_base_id: PydanticObjectId,
    expected_revision: int,
    changes: KnowledgeBaseChanges,
) -> KnowledgeBase:
    """Set the name and description given; the same values again change nothing."""
    _refuse(check_changes(changes))
    fields: dict[str, Any] = {}
    if changes.name is not None:
        fields["name"] = stored_name(changes.name)
    if "description" in changes.model_fields_set:
        fields["description"] = _description(changes.description)
    current = await current_base(workspace_id, knowledge_base_id, expected_revision, ("id",))
    if all(getattr(current, name) == value for name, value in fields.items()):
        return current
    return await write_next(current, fields, ("id",))


async def add_knowledge_sources(
    workspace_id: PydanticObjectId,
    knowledge_base_id: PydanticObjectId,
    expected_revision: int,
    specs: list[KnowledgeSourceSpec],
) -> KnowledgeBase:
    """Append the sources, after those the base has."""
    current = await current_base(workspace_id, knowledge_base_id, expected_revision, BASE)
    _refuse(check_sources(specs, len(current.sources), ("sources",)))
    sources = [*current.sources, *await _new_sources(specs)]
    return await write_next(current, {"sources": sources}, BASE)


async def remove_knowledge_source(
    workspace_id: PydanticObjectId,
    knowledge_base_id: PydanticObjectId,
    expected_revision: int,
    source_id: str,
) -> KnowledgeBase:
    """Drop one source; its text stays in the text store for the versions that pin it."""
    current = await current_base(workspace_id, knowledge_base_id, expected_revision, BASE)
    kept = [source for source in current.sources if source.id != source_id]
    if len(kept) == len(current.sources):
        raise NotFound("Knowledge source", ("sourceId",))
    return await write_next(current, {"sources": kept}, BASE)


async def guard_knowledge_bases(
    workspace_id: PydanticObjectId,
    knowledge_base_ids: list[PydanticObjectId],
    session: AsyncClientSession,
) -> bool:
    return await guard_named(KnowledgeBase, workspace_id, knowledge_base_ids, session)


async def remove_knowledge_base(
    workspace_id: PydanticObjectId,
    knowledge_base_id: PydanticObjectId,
    session: AsyncClientSession | None = None,
) -> bool:
    """Delete the base; its texts stay (see texts)."""
    return await remove_named(KnowledgeBase, workspace_id, knowledge_base_id, session)

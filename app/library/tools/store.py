"""Storing a workspace's tools: every write one conditional update on {workspace, _id, revision}.

Callers check roles; this module knows workspaces, not who asks.
"""

from typing import Any

from beanie import PydanticObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from app.library.errors import DuplicateName, NotFound, RevisionMismatch
from app.library.named import (
    Page,
    count_named,
    get_named,
    guard_named,
    list_named,
    remove_named,
)
from app.library.tools.definitions import ToolSpec
from app.library.tools.documents import Tool, spec_fields
from app.library.tools.validation import check_tool
from app.platform.clock import utcnow
from app.platform.counters import next_seq
from app.platform.errors import InvalidInput
from app.platform.text import Path

LABEL = "Tool"
SEQ = "tools"


def _collection() -> AsyncCollection[dict[str, Any]]:
    return Tool.get_pymongo_collection()


def _checked(spec: ToolSpec, path: Path) -> ToolSpec:
    problems = check_tool(spec, path)
    if problems:
        raise InvalidInput(problems)
    return spec.model_copy(update={"description": spec.description.strip()})


async def get_tool(workspace_id: PydanticObjectId, tool_id: PydanticObjectId) -> Tool | None:
    found = await _collection().find_one({"workspace_id": workspace_id, "_id": tool_id})
    return Tool.model_validate(found) if found else None


async def get_tools(
    workspace_id: PydanticObjectId, tool_ids: list[PydanticObjectId]
) -> dict[PydanticObjectId, Tool]:
    return await get_named(Tool, workspace_id, tool_ids)


async def create_tool(workspace_id: PydanticObjectId, spec: ToolSpec) -> Tool:
    spec = _checked(spec, ())
    collection = _collection()
    # A number lost to a refused insert leaves a gap, which pages step over.
    seq = await next_seq(collection.database, SEQ, workspace_id)
    tool = Tool(id=PydanticObjectId(), workspace_id=workspace_id, seq=seq, **spec_fields(spec))
    try:
        await collection.insert_one(tool.stored())
    except DuplicateKeyError:
        raise DuplicateName(LABEL, ("name",)) from None
    return tool


async def update_tool(
    workspace_id: PydanticObjectId,
    tool_id: PydanticObjectId,
    expected_revision: int,
    spec: ToolSpec,
) -> Tool:
    """Replace the definition; the same definition again changes nothing."""
    spec = _checked(spec, ("tool",))
    current = await get_tool(workspace_id, tool_id)
    if current is None:
        raise NotFound(LABEL)
    if current.revision != expected_revision:
        raise RevisionMismatch(LABEL, expected_revision, current.revision)
    fields = spec_fields(spec)
    if all(getattr(current, name) == value for name, value in fields.items()):
        return current
    written: Tool = current.model_copy(
        update={**fields, "revision": current.revision + 1, "updated_at": utcnow()}
    )
    stored = written.stored()
    names = (*fields, "name_key", "search_grams", "revision", "updated_at")
    condition = {"workspace_id": workspace_id, "_id": tool_id, "revision": expected_revision}
    try:
        result = await _collection().update_one(
            condition, {"$set": {name: stored[name] for name in names}}
        )
    except DuplicateKeyError:
        raise DuplicateName(LABEL, ("tool", "name")) from None
    if result.matched_count:
        return written
    latest = await get_tool(workspace_id, tool_id)
    if latest is None:
        raise NotFound(LABEL)
    raise RevisionMismatch(LABEL, expected_revision, latest.revision)


async def guard_tools(
    workspace_id: PydanticObjectId, tool_ids: list[PydanticObjectId], session: AsyncClientSession
) -> bool:
    return await guard_named(Tool, workspace_id, tool_ids, session)


async def remove_tool(
    workspace_id: PydanticObjectId,
    tool_id: PydanticObjectId,
    session: AsyncClientSession | None = None,
) -> bool:
    return await remove_named(Tool, workspace_id, tool_id, session)


async def list_tools(
    workspace_id: PydanticObjectId, first: int, before_seq: int | None, search: str | None
) -> Page[Tool]:
    return await list_named(Tool, SEQ, workspace_id, first, before_seq, search)


async def count_tools(workspace_id: PydanticObjectId, search: str | None) -> int:
    return await count_named(Tool, workspace_id, search)

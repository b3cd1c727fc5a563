"""Storing a workspace's tools: every write one conditional update on {workspace, _id, revision}.

Callers check roles; this module knows workspaces, not who asks.
"""

from typing import Any

from beanie import PydanticObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from app.library.errors import DuplicateName, NotFound, RevisionMismatch
from app.library.named import Page, count_named, list_named
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
    """The tools of the workspace among `tool_ids`; others' and deleted ones are left out."""
    if not tool_ids:
        return {}
    # _id alone is what the index serves; the workspace is checked on the few rows found.
    rows = await _collection().find({"_id": {"$in": list(set(tool_ids))}}).to_list()
    tools = (Tool.model_validate(row) for row in rows)
    return {tool.id: tool for tool in tools if tool.workspace_id == workspace_id and tool.id}


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
    workspace_id: PydanticObjectId,
    tool_ids: list[PydanticObjectId],
    session: AsyncClientSession,
) -> bool:
    """Write each tool's guard inside `session`'s transaction; False if one is not there.

    Attaching and deleting both write it, so the two never both commit on a stale read.
    """
    for tool_id in tool_ids:
        result = await _collection().update_one(
            {"workspace_id": workspace_id, "_id": tool_id}, {"$inc": {"guard": 1}}, session=session
        )
        if not result.matched_count:
            return False
    return True


async def remove_tool(
    workspace_id: PydanticObjectId,
    tool_id: PydanticObjectId,
    session: AsyncClientSession | None = None,
) -> bool:
    deleted = await _collection().delete_one(
        {"workspace_id": workspace_id, "_id": tool_id}, session=session
    )
    return deleted.deleted_count == 1


async def list_tools(
    workspace_id: PydanticObjectId, first: int, before_seq: int | None, search: str | None
) -> Page[Tool]:
    return await list_named(Tool, SEQ, workspace_id, first, before_seq, search)


async def count_tools(workspace_id: PydanticObjectId, search: str | None) -> int:
    return await count_named(Tool, workspace_id, search)

"""The workspace's tools as personas' editors use them: role-checked, and kept while
attached (see users)."""

from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.library.named import Page
from app.library.tools import store
from app.library.tools.definitions import ToolSpec
from app.library.tools.documents import Tool
from app.personas.users import TOOLS, delete_unattached


async def get_tool(actor: Principal, tool_id: PydanticObjectId) -> Tool | None:
    return await store.get_tool(actor.workspace_id, tool_id)


async def list_tools(
    actor: Principal, first: int, before_seq: int | None, search: str | None
) -> Page[Tool]:
    return await store.list_tools(actor.workspace_id, first, before_seq, search)


async def count_tools(actor: Principal, search: str | None) -> int:
    return await store.count_tools(actor.workspace_id, search)


async def create_tool(actor: Principal, spec: ToolSpec) -> Tool:
    require(actor, Operation.EDIT_TOOLS)
    return await store.create_tool(actor.workspace_id, spec)


async def update_tool(
    actor: Principal, tool_id: PydanticObjectId, expected_revision: int, spec: ToolSpec
) -> Tool:
    require(actor, Operation.EDIT_TOOLS)
    return await store.update_tool(actor.workspace_id, tool_id, expected_revision, spec)


async def delete_tool(actor: Principal, tool_id: PydanticObjectId) -> None:
    require(actor, Operation.EDIT_TOOLS)
    await delete_unattached(actor, TOOLS, tool_id)

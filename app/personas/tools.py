"""The workspace's tools as personas' editors use them: role-checked, and kept while attached.

Deleting a tool a draft attaches is refused. The check and the delete run in one
transaction that also writes the tool's `guard`, and attaching writes that guard too, so an
attach racing a delete makes one of the two conflict and retry: never a draft attaching a
deleted tool.
"""

from typing import Any

from beanie import PydanticObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.library.errors import NotFound
from app.library.named import Page
from app.library.tools import store
from app.library.tools.definitions import ToolSpec
from app.library.tools.documents import Tool
from app.personas.documents import Persona
from app.personas.pages import last_seq
from app.platform.errors import DomainError, ErrorCode, Problem
from app.platform.pages import seq_page
from app.platform.transactions import run_transaction

LABEL = "Tool"


class InUse(DomainError):
    """A draft still attaches what the caller asked to delete."""

    def __init__(self, label: str, users: int) -> None:
        many = "persona's draft attaches" if users == 1 else "personas' drafts attach"
        message = f"{users} {many} this {label.lower()}: detach it first (see usedBy)."
        super().__init__([Problem(("id",), message, ErrorCode.IN_USE)])


def _users(actor: Principal, tool_id: PydanticObjectId) -> dict[str, Any]:
    return {"workspace_id": actor.workspace_id, "draft_tool_ids": tool_id}


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
    personas = Persona.get_pymongo_collection()

    async def remove(session: AsyncClientSession) -> None:
        if not await store.guard_tools(actor.workspace_id, [tool_id], session):
            raise NotFound(LABEL)
        users = await personas.count_documents(_users(actor, tool_id), session=session)
        if users:
            raise InUse(LABEL, users)
        await store.remove_tool(actor.workspace_id, tool_id, session)

    await run_transaction(personas.database.client, remove, path=("id",))


async def tool_users(
    actor: Principal, tool_id: PydanticObjectId, first: int, before_seq: int | None
) -> tuple[list[Persona], bool]:
    """The personas whose draft attaches the tool, newest first."""
    upper = before_seq if before_seq is not None else await last_seq(actor) + 1
    rows, has_next = await seq_page(
        Persona.get_pymongo_collection(), _users(actor, tool_id), lambda row: True, first, upper
    )
    return [Persona.model_validate(row) for row in rows], has_next


async def count_tool_users(actor: Principal, tool_id: PydanticObjectId) -> int:
    return await Persona.get_pymongo_collection().count_documents(_users(actor, tool_id))

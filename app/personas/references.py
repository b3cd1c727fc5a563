"""What a snapshot names in the workspace library: checked, guarded, and pinned.

A draft names tools by id; a published version keeps each one's definition as it was.
Any write that makes a draft name a tool runs `guard` in its transaction: the guard
writes every named tool, so it conflicts with a concurrent delete of one of them.
"""

from collections.abc import Awaitable, Callable

from beanie import PydanticObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from app.library.errors import NotFound
from app.library.tools import store as tool_store
from app.personas.documents import Snapshot
from app.platform.errors import ErrorCode, Problem
from app.platform.text import Path

Guard = Callable[[AsyncClientSession], Awaitable[None]]


def draft_form(snapshot: Snapshot) -> Snapshot:
    """The snapshot as a draft holds it: references without pinned copies."""
    return snapshot.model_copy(
        update={
            "tools": [a.model_copy(update={"definition": None}) for a in snapshot.tools],
            "knowledge_bases": [
                a.model_copy(update={"definition": None}) for a in snapshot.knowledge_bases
            ],
        }
    )


async def missing(workspace_id: PydanticObjectId, snapshot: Snapshot, path: Path) -> list[Problem]:
    """A NOT_FOUND problem for each tool the snapshot names that the workspace does not hold."""
    found = await tool_store.get_tools(workspace_id, [a.tool_id for a in snapshot.tools])
    return [
        Problem((*path, "tools", str(index), "toolId"), "Tool not found.", ErrorCode.NOT_FOUND)
        for index, attachment in enumerate(snapshot.tools)
        if attachment.tool_id not in found
    ]


def guard(workspace_id: PydanticObjectId, snapshot: Snapshot) -> Guard | None:
    """What a draft write naming these tools runs first; None when it names none."""
    tool_ids = [attachment.tool_id for attachment in snapshot.tools]
    if not tool_ids:
        return None

    async def check(session: AsyncClientSession) -> None:
        if not await tool_store.guard_tools(workspace_id, tool_ids, session):
            raise NotFound("Tool", ("tools",))  # deleted between the check and this write

    return check


async def pin(workspace_id: PydanticObjectId, draft: Snapshot) -> tuple[Snapshot, list[Problem]]:
    """The draft with each named tool's current definition, or what stops that."""
    tools = await tool_store.get_tools(workspace_id, [a.tool_id for a in draft.tools])
    problems: list[Problem] = []
    pinned_tools = []
    for index, attachment in enumerate(draft.tools):
        tool = tools.get(attachment.tool_id)
        if tool is None:
            path = ("draft", "tools", str(index), "toolId")
            message = "The attached tool was deleted: detach it."
            problems.append(Problem(path, message, ErrorCode.NOT_PUBLISHABLE))
            continue
        pinned_tools.append(attachment.model_copy(update={"definition": tool.definition()}))
    return draft.model_copy(update={"tools": pinned_tools}), problems

"""What a snapshot names in the workspace library: checked, guarded, and pinned.

A draft names tools and knowledge bases by id; a published version keeps each one's
definition as it was. Any write that makes a draft name them runs `guard` in its
transaction: the guard writes every one named, so it conflicts with a concurrent delete.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from beanie import PydanticObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from app.library.errors import NotFound
from app.library.knowledge import store as knowledge_store
from app.library.knowledge.definitions import KnowledgeBaseDefinition
from app.library.tools import store as tool_store
from app.personas.documents import Snapshot
from app.platform.errors import ErrorCode, Problem
from app.platform.text import Path

Guard = Callable[[AsyncClientSession], Awaitable[None]]
DELETED = "The attached {} was deleted: detach it."


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


def _tool_ids(snapshot: Snapshot) -> list[PydanticObjectId]:
    return [attachment.tool_id for attachment in snapshot.tools]


def _knowledge_base_ids(snapshot: Snapshot) -> list[PydanticObjectId]:
    return [attachment.knowledge_base_id for attachment in snapshot.knowledge_bases]


async def missing(workspace_id: PydanticObjectId, snapshot: Snapshot, path: Path) -> list[Problem]:
    """A NOT_FOUND problem for each tool or knowledge base the workspace does not hold."""
    tools = await tool_store.get_tools(workspace_id, _tool_ids(snapshot))
    bases = await knowledge_store.get_knowledge_bases(workspace_id, _knowledge_base_ids(snapshot))
    problems = [
        Problem((*path, "tools", str(index), "toolId"), "Tool not found.", ErrorCode.NOT_FOUND)
        for index, tool_id in enumerate(_tool_ids(snapshot))
        if tool_id not in tools
    ]
    message = "Knowledge base not found."
    problems += [
        Problem(
            (*path, "knowledgeBases", str(index), "knowledgeBaseId"), message, ErrorCode.NOT_FOUND
        )
        for index, base_id in enumerate(_knowledge_base_ids(snapshot))
        if base_id not in bases
    ]
    return problems


def guard(workspace_id: PydanticObjectId, snapshot: Snapshot) -> Guard | None:
    """What a draft write naming these runs first; None when it names nothing."""
    tool_ids, base_ids = _tool_ids(snapshot), _knowledge_base_ids(snapshot)
    if not tool_ids and not base_ids:
        return None

    async def check(session: AsyncClientSession) -> None:
        # Deleted between the check before the write and this transaction.
        if not await tool_store.guard_tools(workspace_id, tool_ids, session):
            raise NotFound("Tool", ("tools",))
        if not await knowledge_store.guard_knowledge_bases(workspace_id, base_ids, session):
            raise NotFound("Knowledge base", ("knowledgeBases",))

    return check


async def pin(workspace_id: PydanticObjectId, draft: Snapshot) -> tuple[Snapshot, list[Problem]]:
    """The draft with the current definition of everything it names, or what stops that."""
    tools = await tool_store.get_tools(workspace_id, _tool_ids(draft))
    bases = await knowledge_store.get_knowledge_bases(workspace_id, _knowledge_base_ids(draft))
    problems: list[Problem] = []
    pinned_tools = []
    for index, tool_attachment in enumerate(draft.tools):
        tool = tools.get(tool_attachment.tool_id)
        if tool is None:
            path = ("draft", "tools", str(index), "toolId")
            problems.append(Problem(path, DELETED.format("tool"), ErrorCode.NOT_PUBLISHABLE))
            continue
        pinned_tools.append(tool_attachment.model_copy(update={"definition": tool.definition()}))
    pinned_bases = []
    for index, base_attachment in enumerate(draft.knowledge_bases):
        base = bases.get(base_attachment.knowledge_base_id)
        if base is None:
            path = ("draft", "knowledgeBases", str(index), "knowledgeBaseId")
            message = DELETED.format("knowledge base")
            problems.append(Problem(path, message, ErrorCode.NOT_PUBLISHABLE))
            continue
        pinned_bases.append(base_attachment.model_copy(update={"definition": base.definition()}))
    update = {"tools": pinned_tools, "knowledge_bases": pinned_bases}
    return draft.model_copy(update=update), problems


def same_pins(running: Snapshot, pinned: Snapshot) -> bool:
    """Whether `running` pins what `pinned` does: a tool or base edited since is news."""
    return [a.definition for a in running.tools] == [a.definition for a in pinned.tools] and [
        _content(a.definition) for a in running.knowledge_bases
    ] == [_content(a.definition) for a in pinned.knowledge_bases]


def _content(definition: KnowledgeBaseDefinition | None) -> dict[str, Any] | None:
    # A refresh that found the same text changes when the page was fetched, nothing else.
    return None if definition is None else definition.pinned_content()

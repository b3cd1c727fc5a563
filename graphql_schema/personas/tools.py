"""Tools over GraphQL: the workspace's tools, their pages, and who attaches them."""

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Self

import strawberry
from beanie import PydanticObjectId
from strawberry.scalars import JSON

from app.library.errors import NotFound
from app.library.tools import definitions, documents
from app.personas import tools, users
from graphql_schema import ids
from graphql_schema.arguments import search_text
from graphql_schema.context import Info
from graphql_schema.errors import UserError, attempt
from graphql_schema.library.types import Node
from graphql_schema.pagination import PageInfo, after_cursor, page_size
from graphql_schema.personas.inputs import given
from graphql_schema.personas.types import PersonaConnection, attached_by

strawberry.enum(definitions.ToolKind)
ToolKind = definitions.ToolKind


def _parameters(text: str | None) -> JSON | None:
    return None if text is None else json.loads(text)


@strawberry.type(description="A tool as one snapshot runs it: pinned in a published version.")
class ToolDefinition:
    tool_id: strawberry.ID
    revision: int
    name: str
    description: str
    kind: ToolKind
    url: str
    parameters: JSON | None
    allowed_tools: list[str] | None
    timeout_seconds: int

    @classmethod
    def of(cls, definition: definitions.ToolDefinition) -> Self:
        return cls(
            tool_id=strawberry.ID(ids.encode("Tool", str(definition.tool_id))),
            revision=definition.revision,
            name=definition.name,
            description=definition.description,
            kind=definition.kind,
            url=definition.url,
            parameters=_parameters(definition.parameters_json),
            allowed_tools=definition.allowed_tools,
            timeout_seconds=definition.timeout_seconds,
        )


@strawberry.type
class Tool(Node):
    tool: strawberry.Private[documents.Tool]
    name: str
    description: str
    kind: ToolKind
    url: str
    parameters: JSON | None
    allowed_tools: list[str] | None
    timeout_seconds: int
    revision: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_document(cls, tool: documents.Tool) -> Self:
        return cls(
            id=strawberry.ID(tool_id(tool.id)),
            tool=tool,
            name=tool.name,
            description=tool.description,
            kind=tool.kind,
            url=tool.url,
            parameters=_parameters(tool.parameters_json),
            allowed_tools=tool.allowed_tools,
            timeout_seconds=tool.timeout_seconds,
            revision=tool.revision,
            created_at=tool.created_at,
            updated_at=tool.updated_at,
        )

    @strawberry.field(description="Personas whose draft attaches this tool, newest first.")
    async def used_by(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> PersonaConnection:
        assert self.tool.id is not None
        return await attached_by(info, users.TOOLS, self.tool.id, first, after)


def tool_id(object_id: PydanticObjectId | None) -> str:
    return ids.encode("Tool", str(object_id))


def tool_object_id(global_id: str, field: str) -> PydanticObjectId:
    object_id = ids.decode_object_id(global_id, "Tool")
    if object_id is None:
        raise NotFound("Tool", (field,))
    return object_id


@strawberry.type
class ToolEdge:
    cursor: str
    node: Tool


@strawberry.type
class ToolConnection:
    edges: list[ToolEdge]
    page_info: PageInfo
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Counted only when asked for.")
    async def total_count(self) -> int:
        return await self.counter()


@strawberry.input
class ToolInput:
    name: str
    description: str
    kind: ToolKind = ToolKind.FUNCTION
    url: str
    parameters: JSON | None = strawberry.UNSET
    allowed_tools: list[str] | None = strawberry.UNSET
    timeout_seconds: int = 20

    def to_spec(self) -> definitions.ToolSpec:
        return definitions.ToolSpec(
            name=self.name,
            description=self.description,
            kind=self.kind,
            url=self.url,
            parameters=given(self.parameters),
            allowed_tools=given(self.allowed_tools),
            timeout_seconds=self.timeout_seconds,
        )


@strawberry.input(description="Replaces the definition.")
class UpdateToolInput:
    id: strawberry.ID
    expected_revision: int
    tool: ToolInput


@strawberry.input(description="IN_USE while a draft attaches it.")
class DeleteToolInput:
    id: strawberry.ID


@strawberry.type
class ToolPayload:
    tool: Tool | None
    user_errors: list[UserError]


@strawberry.type
class DeleteToolPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


async def _tool_payload(call: Callable[[], Awaitable[documents.Tool]]) -> ToolPayload:
    tool, errors = await attempt(call)
    return ToolPayload(tool=Tool.from_document(tool) if tool else None, user_errors=errors)


async def find_tool(info: Info, global_id: str) -> Tool | None:
    object_id = ids.decode_object_id(global_id, "Tool")
    if object_id is None:
        return None
    found = await tools.get_tool(info.context.actor, object_id)
    return Tool.from_document(found) if found else None


@strawberry.type
class ToolQuery:
    @strawberry.field(description="Newest first; search matches part of the name.")
    async def tools(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        search: str | None = None,
    ) -> ToolConnection:
        first = page_size(first)
        before = after_cursor(after, ids.decode_cursor)
        actor = info.context.actor
        search = search_text(search)
        page = await tools.list_tools(actor, first, before, search)
        edges = [ToolEdge(cursor=ids.cursor(t.seq), node=Tool.from_document(t)) for t in page.items]
        return ToolConnection(
            edges=edges,
            page_info=PageInfo.of(edges, page.has_next, after is not None),
            counter=lambda: tools.count_tools(actor, search),
        )

    @strawberry.field
    async def tool(self, info: Info, id: strawberry.ID) -> Tool | None:
        return await find_tool(info, id)


@strawberry.type
class ToolMutation:
    @strawberry.mutation
    async def create_tool(self, info: Info, input: ToolInput) -> ToolPayload:
        return await _tool_payload(lambda: tools.create_tool(info.context.actor, input.to_spec()))

    @strawberry.mutation
    async def update_tool(self, info: Info, input: UpdateToolInput) -> ToolPayload:
        return await _tool_payload(
            lambda: tools.update_tool(
                info.context.actor,
                tool_object_id(input.id, "id"),
                input.expected_revision,
                input.tool.to_spec(),
            )
        )

    @strawberry.mutation
    async def delete_tool(self, info: Info, input: DeleteToolInput) -> DeleteToolPayload:
        async def call() -> strawberry.ID:
            await tools.delete_tool(info.context.actor, tool_object_id(input.id, "id"))
            return input.id

        deleted, errors = await attempt(call)
        return DeleteToolPayload(deleted_id=deleted, user_errors=errors)

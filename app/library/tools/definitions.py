"""A tool as the workspace defines it: what the agent runtime may call during a conversation."""

from enum import StrEnum
from typing import Any

from beanie import PydanticObjectId
from pydantic import BaseModel


class ToolKind(StrEnum):
    FUNCTION = "FUNCTION"  # an HTTPS webhook called with JSON arguments that match `parameters`
    MCP = "MCP"  # a remote MCP server whose tools the runtime lists and calls


class ToolSpec(BaseModel):
    """Everything a tool's author sets; the store adds ids, revision and times."""

    name: str
    description: str
    kind: ToolKind = ToolKind.FUNCTION
    url: str
    parameters: Any = None  # checked by validation: any JSON may arrive here
    allowed_tools: list[str] | None = None
    timeout_seconds: int = 20


class ToolDefinition(BaseModel):
    """A tool as one snapshot runs it; a published version keeps this copy whatever follows."""

    tool_id: PydanticObjectId
    revision: int
    name: str
    description: str
    kind: ToolKind
    url: str
    parameters_json: str | None = None
    allowed_tools: list[str] | None = None
    timeout_seconds: int

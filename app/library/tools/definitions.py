"""A tool as the workspace defines it: what the agent runtime may call during a conversation."""

from enum import StrEnum
from typing import Any

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
    parameters: dict[str, Any] | None = None
    allowed_tools: list[str] | None = None
    timeout_seconds: int = 20

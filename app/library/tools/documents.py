"""A workspace's tools as stored: the definition, its revision, and what pages and search need."""

import json
from typing import Any, ClassVar

from app.library.named import Named, named_indexes
from app.library.tools.definitions import ToolDefinition, ToolKind, ToolSpec


class Tool(Named):
    description: str
    kind: ToolKind
    url: str
    # JSON text: a schema's own keys ("$schema", "$defs") are not safe as stored field names.
    parameters_json: str | None = None
    allowed_tools: list[str] | None = None
    timeout_seconds: int

    class Settings:
        name = "tools"
        indexes: ClassVar = named_indexes()

    @property
    def parameters(self) -> dict[str, Any] | None:
        return json.loads(self.parameters_json) if self.parameters_json is not None else None

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(
            name=self.name,
            description=self.description,
            kind=self.kind,
            url=self.url,
            parameters=self.parameters,
            allowed_tools=self.allowed_tools,
            timeout_seconds=self.timeout_seconds,
        )

    def definition(self) -> ToolDefinition:
        assert self.id is not None
        return ToolDefinition(
            tool_id=self.id,
            revision=self.revision,
            name=self.name,
            description=self.description,
            kind=self.kind,
            url=self.url,
            parameters_json=self.parameters_json,
            allowed_tools=self.allowed_tools,
            timeout_seconds=self.timeout_seconds,
        )


def spec_fields(spec: ToolSpec) -> dict[str, Any]:
    """The stored fields a spec sets."""
    return {
        "name": spec.name,
        "description": spec.description.strip(),
        "kind": spec.kind,
        "url": spec.url,
        "parameters_json": None if spec.parameters is None else json.dumps(spec.parameters),
        "allowed_tools": spec.allowed_tools,
        "timeout_seconds": spec.timeout_seconds,
    }

"""A workspace's tools as stored: the definition, its revision, and what pages and search need."""

import json
from datetime import datetime
from typing import Any, ClassVar

from beanie import Document, PydanticObjectId
from pydantic import Field, computed_field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.library.tools.definitions import ToolDefinition, ToolKind, ToolSpec
from app.platform.clock import utcnow
from app.platform.search import folded, search_grams


class Tool(Document):
    workspace_id: PydanticObjectId
    seq: int  # creation order in the workspace: pages are ranges of it
    name: str
    description: str
    kind: ToolKind
    url: str
    # JSON text: a schema's own keys ("$schema", "$defs") are not safe as stored field names.
    parameters_json: str | None = None
    allowed_tools: list[str] | None = None
    timeout_seconds: int
    revision: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "tools"
        indexes: ClassVar = [
            IndexModel(
                [("workspace_id", ASCENDING), ("_id", ASCENDING), ("revision", ASCENDING)],
                name="identity",
            ),
            # Names differing only in case would confuse a model and the people reading its calls.
            IndexModel(
                [("workspace_id", ASCENDING), ("name_key", ASCENDING)],
                name="unique_name",
                unique=True,
            ),
            IndexModel([("workspace_id", ASCENDING), ("seq", DESCENDING)], name="page"),
            IndexModel(
                [("workspace_id", ASCENDING), ("search_grams", ASCENDING), ("seq", DESCENDING)],
                name="search_page",
            ),
        ]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def name_key(self) -> str:
        return folded(self.name)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def search_grams(self) -> list[str]:
        return search_grams(self.name)

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

    def stored(self) -> dict[str, Any]:
        """The document as written, derived fields included."""
        stored: dict[str, Any] = self.model_dump(by_alias=True)
        return stored


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

"""A workspace's knowledge bases as stored: sources without their texts, a revision, search."""

from datetime import datetime
from typing import Any, ClassVar

from beanie import Document, PydanticObjectId
from pydantic import Field, computed_field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.library.knowledge.definitions import KnowledgeBaseDefinition, KnowledgeSource
from app.platform.clock import utcnow
from app.platform.search import folded, search_grams


class KnowledgeBase(Document):
    workspace_id: PydanticObjectId
    seq: int  # creation order in the workspace: pages are ranges of it
    name: str
    description: str | None = None
    # Texts live in the text store by hash: a base of 100 long texts stays a small document.
    sources: list[KnowledgeSource] = Field(default_factory=list)
    revision: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "knowledge_bases"
        indexes: ClassVar = [
            IndexModel(
                [("workspace_id", ASCENDING), ("_id", ASCENDING), ("revision", ASCENDING)],
                name="identity",
            ),
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

    def definition(self) -> KnowledgeBaseDefinition:
        assert self.id is not None
        return KnowledgeBaseDefinition(
            knowledge_base_id=self.id,
            revision=self.revision,
            name=self.name,
            sources=[source.model_copy() for source in self.sources],
        )

    def stored(self) -> dict[str, Any]:
        """The document as written, derived fields included."""
        stored: dict[str, Any] = self.model_dump(by_alias=True)
        return stored

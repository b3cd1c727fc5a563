"""A workspace's knowledge bases as stored: sources without their texts, a revision, search."""

from typing import ClassVar

from pydantic import Field

from app.library.knowledge.definitions import KnowledgeBaseDefinition, KnowledgeSource
from app.library.named import Named, named_indexes


class KnowledgeBase(Named):
    description: str | None = None
    # Texts live in the text store by hash: a base of 100 long texts stays a small document.
    sources: list[KnowledgeSource] = Field(default_factory=list)

    class Settings:
        name = "knowledge_bases"
        indexes: ClassVar = named_indexes()

    def definition(self) -> KnowledgeBaseDefinition:
        assert self.id is not None
        return KnowledgeBaseDefinition(
            knowledge_base_id=self.id,
            revision=self.revision,
            name=self.name,
            sources=[source.model_copy() for source in self.sources],
        )

"""A knowledge base's sources as one snapshot retrieves from them, and what authors send."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from beanie import PydanticObjectId
from pydantic import BaseModel, Field


class KnowledgeSourceKind(StrEnum):
    TEXT = "TEXT"
    URL = "URL"


class KnowledgeSource(BaseModel):
    """One source; its text is stored once per content hash, apart from the base."""

    id: str
    kind: KnowledgeSourceKind
    title: str
    url: str | None = None
    characters: int = 0
    # sha256 of the text (TEXT) or of the URL (URL, until fetched).
    content_hash: str
    # The stored text behind a URL source, once fetched; TEXT sources' text has content_hash.
    text_hash: str | None = None
    # URL sources: when text_hash was last fetched, and why the last fetch failed if it did.
    # Neither is content: they change without a revision (see pinned_content).
    fetched_at: datetime | None = None
    fetch_error: str | None = None

    @property
    def stored_text_hash(self) -> str | None:
        """Where the text store keeps this source's text; None for a URL never fetched."""
        return self.content_hash if self.kind is KnowledgeSourceKind.TEXT else self.text_hash


class KnowledgeBaseDefinition(BaseModel):
    """A knowledge base as one snapshot runs it; a published version keeps this copy."""

    knowledge_base_id: PydanticObjectId
    revision: int
    name: str
    sources: list[KnowledgeSource]

    def pinned_content(self) -> dict[str, Any]:
        """What a version retrieves from: the definition less when its pages were fetched."""
        return self.model_dump(exclude={"sources": {"__all__": FETCH_STATUS}})


FETCH_STATUS = {"fetched_at", "fetch_error"}


class KnowledgeSourceSpec(BaseModel):
    """A source as its author sends it; the store gives it an id, a hash and a length."""

    kind: KnowledgeSourceKind
    title: str
    url: str | None = None
    text: str | None = None


class KnowledgeBaseSpec(BaseModel):
    name: str
    description: str | None = None
    sources: list[KnowledgeSourceSpec] = Field(default_factory=list)


class KnowledgeBaseChanges(BaseModel):
    """The fields an update sets; one left out (not in `model_fields_set`) stays as it is."""

    name: str | None = None
    description: str | None = None

"""A knowledge base's sources as one snapshot retrieves from them."""

from enum import StrEnum

from beanie import PydanticObjectId
from pydantic import BaseModel


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


class KnowledgeBaseDefinition(BaseModel):
    """A knowledge base as one snapshot runs it; a published version keeps this copy."""

    knowledge_base_id: PydanticObjectId
    revision: int
    name: str
    sources: list[KnowledgeSource]

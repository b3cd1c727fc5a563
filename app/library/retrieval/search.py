"""Ranking the passages of knowledge bases: pinned definitions, or a base as it is now.

Sources are searched together, in one index, so that scores compare across the knowledge
bases of one request. A URL source never fetched has no text and yields no passages.
Callers check roles (app.personas.retrieval, app.release.retrieval); this module knows
workspaces, not who asks.
"""

from dataclasses import dataclass

from beanie import PydanticObjectId

from app.library.errors import NotFound
from app.library.knowledge import store
from app.library.knowledge.definitions import KnowledgeBaseDefinition, KnowledgeSource
from app.library.retrieval.cache import Key, indexes
from app.library.retrieval.engine import SourceText
from app.library.retrieval.limits import DEFAULT_TOP_K, check_request
from app.platform.errors import InvalidInput


@dataclass(frozen=True)
class KnowledgePassage:
    knowledge_base_id: PydanticObjectId
    source_id: str
    title: str
    url: str | None
    text: str
    start: int  # the character offset of `text` in its source's text
    score: float


def check(query: str, top_k: int, min_score: float) -> None:
    problems = check_request(query, top_k, min_score)
    if problems:
        raise InvalidInput(problems)


@dataclass(frozen=True)
class _Source:
    knowledge_base_id: PydanticObjectId
    source: KnowledgeSource


@dataclass(frozen=True)
class Searchable:
    """Knowledge bases worked out for searching: a pinned version's are worked out once."""

    key: Key  # what their index holds: sorted (source id, text hash)
    sources: dict[str, _Source]  # by source id; textless ones left out


def searchable(definitions: list[KnowledgeBaseDefinition]) -> Searchable | None:
    """None when no source of these bases has a text."""
    sources: dict[str, _Source] = {}
    hashes: dict[str, str] = {}
    for definition in definitions:
        for source in definition.sources:
            text_hash = source.stored_text_hash
            if text_hash is not None and source.id not in sources:
                sources[source.id] = _Source(definition.knowledge_base_id, source)
                hashes[source.id] = text_hash
    if not sources:
        return None
    return Searchable(tuple(sorted(hashes.items())), sources)


async def _load(searched: Searchable) -> list[SourceText]:
    texts = await store.get_texts([text_hash for _, text_hash in searched.key])
    # A hash the store lacks cannot be: sources are written after their texts.
    return [
        SourceText(source_id, text_hash, texts[text_hash], searched.sources[source_id].source.title)
        for source_id, text_hash in searched.key
        if text_hash in texts
    ]


async def search_in(
    searched: Searchable, query: str, top_k: int, min_score: float
) -> list[KnowledgePassage]:
    """The best passages, at most `top_k`, none scoring below `min_score`."""
    check(query, top_k, min_score)
    index = await indexes.get(searched.key, lambda: _load(searched))
    passages = []
    for hit in index.search(query, top_k):
        if hit.score < min_score:
            break  # best first: the rest score lower still
        found = searched.sources[hit.passage.source_id]
        passages.append(
            KnowledgePassage(
                knowledge_base_id=found.knowledge_base_id,
                source_id=found.source.id,
                title=found.source.title,
                url=found.source.url,
                text=hit.passage.chunk.text,
                start=hit.passage.chunk.start,
                score=hit.score,
            )
        )
    return passages


async def search_definitions(
    definitions: list[KnowledgeBaseDefinition], query: str, top_k: int, min_score: float
) -> list[KnowledgePassage]:
    """The best passages of these bases, at most `top_k`, none scoring below `min_score`."""
    check(query, top_k, min_score)
    searched = searchable(definitions)
    return [] if searched is None else await search_in(searched, query, top_k, min_score)


async def search_knowledge_base(
    workspace_id: PydanticObjectId,
    knowledge_base_id: PydanticObjectId,
    query: str,
    top_k: int = DEFAULT_TOP_K,
    min_score: float = 0.0,
) -> list[KnowledgePassage]:
    """One knowledge base of the workspace as it is now; another's is NotFound."""
    check(query, top_k, min_score)
    base = await store.get_knowledge_base(workspace_id, knowledge_base_id)
    if base is None:
        raise NotFound("Knowledge base", ("id",))
    return await search_definitions([base.definition()], query, top_k, min_score)

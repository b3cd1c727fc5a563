"""Refreshing a URL source: its page fetched, the text stored by hash and made the source's.

A refresh that finds new text is a change like any other: one conditional update on
{workspace, _id, revision} that bumps the revision. One that finds the same text, or
fails, is one conditional update at the same revision: it records when, or why not,
and changes nothing a version retrieves. Versions published before keep the text their
pinned definition names (texts are never rewritten nor deleted, see texts).
"""

from collections.abc import Awaitable, Callable

from beanie import PydanticObjectId

from app.library.errors import FetchFailed, NotFound
from app.library.knowledge import store, texts
from app.library.knowledge.addresses import FetchRefused
from app.library.knowledge.definitions import KnowledgeSource, KnowledgeSourceKind
from app.library.knowledge.documents import KnowledgeBase
from app.platform.clock import utcnow
from app.platform.errors import DomainError, InvalidInput, Problem

# A page's text, or FetchRefused: PageFetcher.fetch, or a stand-in of a test's.
Fetch = Callable[[str], Awaitable[str]]
SOURCE = ("sourceId",)


def _url_source(base: KnowledgeBase, source_id: str) -> int:
    """The index of the URL source `source_id` among the base's sources."""
    for index, source in enumerate(base.sources):
        if source.id == source_id:
            if source.kind is not KnowledgeSourceKind.URL or source.url is None:
                message = "Only URL sources are fetched: a TEXT source's text is its author's."
                raise InvalidInput([Problem(SOURCE, message)])
            return index
    raise NotFound("Knowledge source", SOURCE)


def _replaced(base: KnowledgeBase, index: int, source: KnowledgeSource) -> list[KnowledgeSource]:
    return [*base.sources[:index], source, *base.sources[index + 1 :]]


async def refresh_knowledge_source(
    workspace_id: PydanticObjectId,
    knowledge_base_id: PydanticObjectId,
    expected_revision: int,
    source_id: str,
    fetch: Fetch,
) -> KnowledgeBase:
    """The base with the source's page fetched; FETCH_FAILED, recorded on the source, if not."""
    current = await store.current_base(
        workspace_id, knowledge_base_id, expected_revision, store.BASE
    )
    index = _url_source(current, source_id)
    source = current.sources[index]
    assert source.url is not None
    try:
        text = await fetch(source.url)
    except FetchRefused as refused:
        failed = FetchFailed(str(refused))
        noted = source.model_copy(update={"fetch_error": str(refused)})
        update = {"sources": _replaced(current, index, noted)}
        try:
            await store.write_in_place(current, update, store.BASE)
        except DomainError as moved:  # edited or deleted while the page was fetched
            raise DomainError(failed.problems + moved.problems) from None
        raise failed from None
    key = texts.content_hash(text)
    # The text first: a base never names a text the store lacks.
    await texts.store_texts(KnowledgeBase.get_pymongo_collection().database, [text])
    fetched = source.model_copy(
        update={
            "text_hash": key,
            "characters": len(text),
            "fetched_at": utcnow(),
            "fetch_error": None,
        }
    )
    update = {"sources": _replaced(current, index, fetched)}
    if key == source.text_hash:
        return await store.write_in_place(current, update, store.BASE)
    return await store.write_next(current, update, store.BASE)

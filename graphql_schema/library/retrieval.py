"""retrieveKnowledge and searchKnowledgeBase: ranked passages of knowledge bases.

Arguments out of bounds are BAD_USER_INPUT; an id that names nothing in the caller's
workspace (another workspace's included) is a NOT_FOUND error, since the answer is a
list that cannot be null; finding nothing is an empty list.
"""

import strawberry
from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.library.errors import NotFound
from app.library.retrieval import search
from app.library.retrieval.limits import DEFAULT_TOP_K
from app.personas import retrieval
from app.platform.errors import DomainError, InvalidInput
from app.release.retrieval import retrieve_knowledge
from graphql_schema import ids
from graphql_schema.arguments import bad_user_input
from graphql_schema.context import Info
from graphql_schema.errors import field_error
from graphql_schema.library.types import Channel
from graphql_schema.personas.knowledge import knowledge_base_id


@strawberry.type(description="A chunk of a knowledge source, as retrieval ranked it.")
class KnowledgePassage:
    knowledge_base_id: strawberry.ID
    source_id: strawberry.ID
    title: str = strawberry.field(description="The source's title.")
    url: str | None = strawberry.field(description="URL sources: the page.")
    text: str = strawberry.field(
        description="At most 2,000 characters, cut at paragraph or sentence ends where "
        "there are any."
    )
    start: int = strawberry.field(description="The chunk's character offset in its source text.")
    score: float = strawberry.field(
        description="0 .. 1, higher is better: the share of the best score the query could "
        "reach on this content. The same query on the same content scores the same."
    )

    @classmethod
    def of(cls, passage: search.KnowledgePassage) -> "KnowledgePassage":
        return cls(
            knowledge_base_id=strawberry.ID(knowledge_base_id(passage.knowledge_base_id)),
            source_id=strawberry.ID(passage.source_id),
            title=passage.title,
            url=passage.url,
            text=passage.text,
            start=passage.start,
            score=passage.score,
        )


def _bounded(query: str, top_k: int, min_score: float) -> None:
    try:
        search.check(query, top_k, min_score)
    except InvalidInput as error:
        raise bad_user_input(str(error)) from None


def _object_id(global_id: str, kind: str, operation: Operation, info: Info) -> PydanticObjectId:
    """The id's ObjectId; one that is not an id of `kind` names nothing, once the role may ask."""
    object_id = ids.decode_object_id(global_id, kind)
    if object_id is None:
        require(info.context.actor, operation)
        raise NotFound(kind if kind == "Persona" else "Knowledge base", ("id",))
    return object_id


@strawberry.type
class RetrievalQuery:
    @strawberry.field(
        description="Passages from the knowledge bases attached to `channel` in that version, "
        "as it pinned them, best first: at most topK (default: the largest topK of those "
        "attachments), none scoring below minScore. RUNTIME, and VIEWER and up."
    )
    async def retrieve_knowledge(
        self,
        info: Info,
        persona_id: strawberry.ID,
        version: int,
        channel: Channel,
        query: str,
        top_k: int | None = None,
        min_score: float | None = 0,
    ) -> list[KnowledgePassage]:
        score = 0.0 if min_score is None else min_score
        _bounded(query, DEFAULT_TOP_K if top_k is None else top_k, score)
        try:
            object_id = _object_id(persona_id, "Persona", Operation.RETRIEVE_KNOWLEDGE, info)
            found = await retrieve_knowledge(
                info.context.actor,
                object_id,
                version,
                channel,
                query,
                top_k,
                score,
                info.context.productions,
            )
        except DomainError as error:
            raise field_error(error) from None
        return [KnowledgePassage.of(passage) for passage in found]

    @strawberry.field(
        description='One knowledge base as it is now: what a console\'s "test retrieval" box '
        "calls. VIEWER and up."
    )
    async def search_knowledge_base(
        self,
        info: Info,
        id: strawberry.ID,
        query: str,
        top_k: int | None = DEFAULT_TOP_K,
        min_score: float | None = 0,
    ) -> list[KnowledgePassage]:
        top = DEFAULT_TOP_K if top_k is None else top_k
        score = 0.0 if min_score is None else min_score
        _bounded(query, top, score)
        try:
            object_id = _object_id(id, "KnowledgeBase", Operation.READ_KNOWLEDGE_BASES, info)
            found = await retrieval.search_knowledge_base(
                info.context.actor, object_id, query, top, score
            )
        except DomainError as error:
            raise field_error(error) from None
        return [KnowledgePassage.of(passage) for passage in found]

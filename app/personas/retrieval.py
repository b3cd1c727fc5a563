"""Retrieval, role-checked: retrieveKnowledge over the knowledge bases a published version
pinned, and searchKnowledgeBase (and POST /retrieval) over a base as it is now.

A version is searched exactly as it was published: over the copies of its knowledge bases
it keeps (KnowledgeBaseAttachment.definition), whose texts the text store never rewrites
or deletes, so editing, refreshing or deleting a base later changes nothing found here.

A version never changes, so what it attached is kept per process after its first read;
each call still asks the database whether the persona is there, in the caller's
workspace (a deleted persona's versions are gone with it), which is one indexed read of
an `_id`.
"""

import asyncio
from collections import OrderedDict

from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.library.catalog import Channel
from app.library.errors import NotFound
from app.library.retrieval import search
from app.library.retrieval.limits import DEFAULT_TOP_K
from app.library.retrieval.search import KnowledgePassage, check, search_definitions
from app.personas.documents import KnowledgeBaseAttachment, Persona
from app.personas.reads import get_version

# Versions whose attachments are kept: each is a few hundred bytes per source.
MAX_VERSIONS = 1_000
VersionKey = tuple[PydanticObjectId, int]
_attached: OrderedDict[VersionKey, list[KnowledgeBaseAttachment]] = OrderedDict()


async def _persona_is_there(workspace_id: PydanticObjectId, persona_id: PydanticObjectId) -> bool:
    found = await Persona.get_pymongo_collection().find_one(
        {"workspace_id": workspace_id, "_id": persona_id}, {"_id": 1}
    )
    return found is not None


async def _version_attachments(
    persona_id: PydanticObjectId, version: int
) -> list[KnowledgeBaseAttachment] | None:
    key = (persona_id, version)
    kept = _attached.get(key)
    if kept is not None:
        _attached.move_to_end(key)
        return kept
    published = await get_version(persona_id, version)
    if published is None:
        return None
    attachments = _attached[key] = published.snapshot.knowledge_bases
    if len(_attached) > MAX_VERSIONS:
        _attached.popitem(last=False)
    return attachments


async def retrieve_knowledge(
    actor: Principal,
    persona_id: PydanticObjectId,
    version: int,
    channel: Channel,
    query: str,
    top_k: int | None = None,
    min_score: float = 0.0,
) -> list[KnowledgePassage]:
    """At most `top_k` passages (by default the largest topK of the bases attached to
    `channel`), best first; a persona or version of another workspace is NotFound."""
    require(actor, Operation.RETRIEVE_KNOWLEDGE)
    check(query, DEFAULT_TOP_K if top_k is None else top_k, min_score)
    there, attachments = await asyncio.gather(
        _persona_is_there(actor.workspace_id, persona_id),
        _version_attachments(persona_id, version),
    )
    if not there:
        raise NotFound("Persona", ("personaId",))
    if attachments is None:
        raise NotFound("Version", ("version",))
    attached = [a for a in attachments if channel in a.channels]
    definitions = [a.definition for a in attached if a.definition is not None]
    if not definitions:
        return []
    if top_k is None:
        top_k = max(a.top_k for a in attached)
    return await search_definitions(definitions, query, top_k, min_score)


async def search_knowledge_base(
    actor: Principal,
    knowledge_base_id: PydanticObjectId,
    query: str,
    top_k: int = DEFAULT_TOP_K,
    min_score: float = 0.0,
    operation: Operation = Operation.READ_KNOWLEDGE_BASES,
) -> list[KnowledgePassage]:
    """One knowledge base of the actor's workspace as it is now; another's is NotFound.

    `operation` is the door it is asked through: searchKnowledgeBase by default, or
    RETRIEVAL_ENDPOINT (POST /retrieval), which RUNTIME keys may also use.
    """
    require(actor, operation)
    return await search.search_knowledge_base(
        actor.workspace_id, knowledge_base_id, query, top_k, min_score
    )

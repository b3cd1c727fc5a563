"""retrieveKnowledge: passages of the knowledge bases a published version pinned.

A version is searched exactly as it was published: over the copies of its knowledge bases
it keeps (KnowledgeBaseAttachment.definition), whose texts the text store never rewrites
or deletes, so editing, refreshing or deleting a base later changes nothing found here.
"""

from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.library.catalog import Channel
from app.library.errors import NotFound
from app.library.retrieval.limits import DEFAULT_TOP_K
from app.library.retrieval.search import KnowledgePassage, check, search_definitions
from app.personas.reads import find_persona, get_version


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
    persona = await find_persona(actor.workspace_id, persona_id)
    if persona is None:
        raise NotFound("Persona", ("personaId",))
    published = await get_version(persona_id, version)
    if published is None:
        raise NotFound("Version", ("version",))
    attached = [a for a in published.snapshot.knowledge_bases if channel in a.channels]
    definitions = [a.definition for a in attached if a.definition is not None]
    if not definitions:
        return []
    if top_k is None:
        top_k = max(a.top_k for a in attached)
    return await search_definitions(definitions, query, top_k, min_score)

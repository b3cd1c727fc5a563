"""retrieveKnowledge: passages of the knowledge bases a published version pinned, for a
conversation under way.

A version is searched exactly as it was published: over the copies of its knowledge bases
it keeps (KnowledgeBaseAttachment.definition), whose texts the text store never rewrites
or deletes, so editing, refreshing or deleting a base later changes nothing found here.
Whether the persona is still there, in the caller's workspace, is what its production
environment serves of it: from the process's served cache when one is given (news of a
delete drops it there, as for liveConfiguration), else from the database.
"""

from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.library.catalog import Channel
from app.library.errors import NotFound
from app.library.retrieval.limits import DEFAULT_TOP_K
from app.library.retrieval.search import KnowledgePassage, check, search_in
from app.personas.reads import persona_exists
from app.personas.retrieval import channel_knowledge
from app.release.documents import PRODUCTION
from app.release.livecache import ServedCache


async def _persona_is_there(
    workspace_id: PydanticObjectId, persona_id: PydanticObjectId, productions: ServedCache | None
) -> bool:
    if productions is None:
        return await persona_exists(workspace_id, persona_id)
    served, _ = await productions.read(workspace_id, persona_id, PRODUCTION)
    return served is not None


async def retrieve_knowledge(
    actor: Principal,
    persona_id: PydanticObjectId,
    version: int,
    channel: Channel,
    query: str,
    top_k: int | None = None,
    min_score: float = 0.0,
    productions: ServedCache | None = None,
) -> list[KnowledgePassage]:
    """At most `top_k` passages (by default the largest topK of the bases attached to
    `channel`), best first; a persona or version of another workspace is NotFound."""
    require(actor, Operation.RETRIEVE_KNOWLEDGE)
    check(query, DEFAULT_TOP_K if top_k is None else top_k, min_score)
    if not await _persona_is_there(actor.workspace_id, persona_id, productions):
        raise NotFound("Persona", ("personaId",))
    knowledge = await channel_knowledge(persona_id, version, channel)
    if knowledge is None:
        raise NotFound("Version", ("version",))
    if knowledge.searched is None:
        return []
    top = knowledge.top_k if top_k is None else top_k
    return await search_in(knowledge.searched, query, top, min_score)

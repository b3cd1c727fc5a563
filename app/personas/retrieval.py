"""What retrieval reads of personas and knowledge bases, role-checked where it answers:
the knowledge bases a published version attached, and searchKnowledgeBase (and POST
/retrieval) over a base as it is now.

A version never changes, so what it attached is kept per process after its first read,
worked out for searching; whether its persona is still there is the caller's to ask
(app.release.retrieval).
"""

from collections import OrderedDict
from dataclasses import dataclass

from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.library.catalog import Channel
from app.library.retrieval import search
from app.library.retrieval.limits import DEFAULT_TOP_K
from app.library.retrieval.search import KnowledgePassage, Searchable, searchable
from app.personas.reads import get_version


@dataclass(frozen=True)
class ChannelKnowledge:
    """What a version attached to one channel, worked out for searching."""

    searched: Searchable | None  # None: no source there has a text
    top_k: int  # the largest topK of those attachments, the default; 0 when there are none


# What is kept per (persona, version, channel): a few hundred bytes per source.
MAX_KEPT = 1_000
_Key = tuple[PydanticObjectId, int, Channel]
_kept: OrderedDict[_Key, ChannelKnowledge] = OrderedDict()


async def channel_knowledge(
    persona_id: PydanticObjectId, version: int, channel: Channel
) -> ChannelKnowledge | None:
    """The knowledge bases `version` attached to `channel`, as it pinned them; None: no such
    version."""
    key = (persona_id, version, channel)
    kept = _kept.get(key)
    if kept is not None:
        _kept.move_to_end(key)
        return kept
    published = await get_version(persona_id, version)
    if published is None:
        return None
    attached = [a for a in published.snapshot.knowledge_bases if channel in a.channels]
    definitions = [a.definition for a in attached if a.definition is not None]
    _kept[key] = kept = ChannelKnowledge(
        searchable(definitions), max((a.top_k for a in attached), default=0)
    )
    if len(_kept) > MAX_KEPT:
        _kept.popitem(last=False)
    return kept


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

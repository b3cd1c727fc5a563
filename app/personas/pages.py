"""Pages of a workspace's personas, newest first, at a cost that does not grow with it.

A page is read as ranges of `seq` (creation order within the workspace) on an index
that starts with the workspace: a range of n numbers holds at most n personas, so what
the database reads is bounded by the range, not by the workspace, even on a database
that gathers every index match before it sorts. Sparse ranges (deleted personas, a
filter few match) widen fourfold until the page is full or the range reaches seq 1.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.access.documents import Workspace
from app.access.principal import Principal
from app.personas.documents import GRAM_SIZES, Persona, PersonaStatus, folded
from app.personas.validation import MAX_NAME

MAX_PAGE = 100
# A needle longer than a name may be never matches one.
MAX_SEARCH = MAX_NAME
_WIDEN = 4


@dataclass(frozen=True)
class PersonaFilter:
    search: str | None = None
    status: PersonaStatus | None = None

    def query(self, actor: Principal) -> dict[str, Any]:
        """The index-served part of the filter; `keeps` checks the rest."""
        query: dict[str, Any] = {"workspace_id": actor.workspace_id}
        if self.search:
            # The query's first piece picks candidates from the search index.
            query["search_grams"] = folded(self.search)[: GRAM_SIZES[-1]]
        elif self.status is not None:
            query["status"] = self.status.value
        return query

    def keeps(self) -> Callable[[dict[str, Any]], bool]:
        needle = folded(self.search) if self.search else None
        status = self.status.value if self.status is not None and needle else None

        def keep(row: dict[str, Any]) -> bool:
            if needle is not None and needle not in folded(row["draft"]["name"]):
                return False
            return status is None or row["status"] == status

        return keep


@dataclass(frozen=True)
class Page:
    items: list[Persona]
    has_next: bool


async def _last_seq(actor: Principal) -> int:
    workspace = await Workspace.get_pymongo_collection().find_one(
        {"_id": actor.workspace_id}, {"persona_seq": 1}
    )
    return int(workspace.get("persona_seq", 0)) if workspace else 0


async def list_personas(
    actor: Principal, first: int, before_seq: int | None, where: PersonaFilter
) -> Page:
    """`first` personas below `before_seq` (or the newest), and whether more follow."""
    wanted = first + 1
    upper = before_seq if before_seq is not None else await _last_seq(actor) + 1
    query, keep = where.query(actor), where.keeps()
    personas = Persona.get_pymongo_collection()
    rows: list[dict[str, Any]] = []
    span = wanted
    while upper > 1 and len(rows) < wanted:
        lower = max(1, upper - span)
        window = {**query, "seq": {"$gte": lower, "$lt": upper}}
        found = await personas.find(window).sort("seq", -1).to_list()
        rows += [row for row in found if keep(row)]
        upper, span = lower, span * _WIDEN
    return Page([Persona.model_validate(row) for row in rows[:first]], len(rows) > first)


async def count_personas(actor: Principal, where: PersonaFilter) -> int:
    """All personas of the workspace that match: a counter when unfiltered, else a count."""
    if not where.search and where.status is None:
        workspace = await Workspace.get_pymongo_collection().find_one(
            {"_id": actor.workspace_id}, {"persona_count": 1}
        )
        return int(workspace.get("persona_count", 0)) if workspace else 0
    personas = Persona.get_pymongo_collection()
    query = where.query(actor)
    if not where.search:
        return await personas.count_documents(query)
    keep = where.keeps()
    fields = {"draft.name": 1, "status": 1}
    return sum(1 for row in await personas.find(query, fields).to_list() if keep(row))

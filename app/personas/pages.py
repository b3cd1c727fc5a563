"""Pages of a workspace's personas, newest first, at a cost that does not grow with it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.access.documents import Workspace
from app.access.principal import Principal
from app.personas.documents import Persona, PersonaStatus
from app.personas.validation import MAX_NAME
from app.platform.pages import MAX_PAGE, seq_page
from app.platform.search import first_gram, folded

__all__ = [
    "MAX_PAGE",
    "MAX_SEARCH",
    "Page",
    "PersonaFilter",
    "count_personas",
    "last_seq",
    "list_personas",
]

# A needle longer than a name may be never matches one.
MAX_SEARCH = MAX_NAME


@dataclass(frozen=True)
class PersonaFilter:
    search: str | None = None
    status: PersonaStatus | None = None

    def query(self, actor: Principal) -> dict[str, Any]:
        """The index-served part of the filter; `keeps` checks the rest."""
        query: dict[str, Any] = {"workspace_id": actor.workspace_id}
        if self.search:
            query["search_grams"] = first_gram(self.search)
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


async def last_seq(actor: Principal) -> int:
    workspace = await Workspace.get_pymongo_collection().find_one(
        {"_id": actor.workspace_id}, {"persona_seq": 1}
    )
    return int(workspace.get("persona_seq", 0)) if workspace else 0


async def list_personas(
    actor: Principal, first: int, before_seq: int | None, where: PersonaFilter
) -> Page:
    """`first` personas below `before_seq` (or the newest), and whether more follow."""
    upper = before_seq if before_seq is not None else await last_seq(actor) + 1
    rows, has_next = await seq_page(
        Persona.get_pymongo_collection(), where.query(actor), where.keeps(), first, upper
    )
    return Page([Persona.model_validate(row) for row in rows], has_next)


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

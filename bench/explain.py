"""How the database serves the queries a call start sends for a contact's memory.

Recall runs in this process once, through the app's own code, while the driver's commands are
recorded; each recorded `find` is then explained as sent (filter, sort, limit and any hint),
so the plan shown is the one the API gets, not a copy of its query.
"""

from typing import Any

from beanie import PydanticObjectId
from pymongo.monitoring import CommandListener, CommandStartedEvent

from app.memory.documents import Contact, Conversation
from app.memory.recall import recall
from app.memory.spaces import Place, contact_key, own_space
from app.personas.memory_policy import MemoryScope
from app.platform.clock import utcnow
from app.platform.database import connect
from app.server.models import bind_all

COLLECTIONS = (Conversation.Settings.name, Contact.Settings.name)
EXPLAINED = ("filter", "sort", "limit", "hint", "projection")


class _Finds(CommandListener):
    def __init__(self) -> None:
        self.finds: list[dict[str, Any]] = []

    def started(self, event: CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command["find"] in COLLECTIONS:
            self.finds.append(dict(event.command))

    def succeeded(self, event: Any) -> None:
        pass

    def failed(self, event: Any) -> None:
        pass


def _scan(plan: dict[str, Any]) -> str:
    """The plan's scan: the index it walks, or COLLSCAN."""
    while plan.get("inputStage") and plan["stage"] not in ("IXSCAN", "COLLSCAN"):
        plan = plan["inputStage"]
    return f"{plan['stage']} {plan.get('indexName', '')}".strip()


async def recall_plans(
    uri: str, database: str, workspace_id: str, persona_id: str, contact_id: str, count: int
) -> str:
    """One line per query, e.g. "conversations IXSCAN recall (5 docs read)"."""
    listener = _Finds()
    client = connect(uri, event_listeners=[listener])
    try:
        db = client[database]
        await bind_all(db)
        ws, persona = PydanticObjectId(workspace_id), PydanticObjectId(persona_id)
        place = Place(ws, own_space(persona), contact_key(contact_id))
        await recall(place, contact_id, MemoryScope.PERSONA, count, utcnow())
        shown = []
        for find in listener.finds:
            command = {"find": find["find"], **{k: find[k] for k in EXPLAINED if k in find}}
            explained = await db.command("explain", command, verbosity="executionStats")
            examined = explained.get("executionStats", {}).get("totalDocsExamined")
            scan = _scan(explained["queryPlanner"]["winningPlan"])
            read = "" if examined is None else f" ({examined:,} docs read)"
            shown.append(f"{find['find']} {scan}{read}")
        return ", ".join(sorted(shown))
    finally:
        await client.close()

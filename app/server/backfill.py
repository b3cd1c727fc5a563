"""Documents written before a stored field existed get it, once, at start-up.

Personas gained `seq`, `status` and `search_grams`, versions `slot`, workspaces their
counters. A marker records that a database was brought up to date, so later starts pay
one point lookup. Safe when several processes start together: each persona takes a seq
only through a conditional update, and a lost race just leaves a gap in the numbering.
"""

from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from app.access.documents import Workspace
from app.personas.documents import Persona, PersonaVersion

MARKER = {"_id": "persona-seq-v1"}


async def backfill(database: AsyncDatabase[dict[str, Any]]) -> None:
    done = database["migrations"]
    if await done.find_one(MARKER) is not None:
        return
    personas = database[Persona.get_collection_name()]
    workspaces = database[Workspace.get_collection_name()]
    async for row in personas.find({"seq": {"$exists": False}}).sort("_id", 1):
        counters = await workspaces.find_one_and_update(
            {"_id": row["workspace_id"]},
            {"$inc": {"persona_seq": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if counters is None:
            continue
        persona = Persona.model_validate({**row, "seq": counters["persona_seq"]})
        stored = persona.stored()
        result = await personas.update_one(
            {"_id": row["_id"], "seq": {"$exists": False}},
            {"$set": {name: stored[name] for name in ("seq", "status", "search_grams")}},
        )
        if result.modified_count:
            await workspaces.update_one(
                {"_id": row["workspace_id"]}, {"$inc": {"persona_count": 1}}
            )
    versions = database[PersonaVersion.get_collection_name()]
    async for row in versions.find({"slot": {"$exists": False}}):
        slot = PersonaVersion.model_validate(row).slot
        await versions.update_one({"_id": row["_id"]}, {"$set": {"slot": slot}})
    await done.update_one(MARKER, {"$set": {"done": True}}, upsert=True)

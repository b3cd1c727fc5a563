"""Documents written before a stored field existed get it, once, at start-up.

Personas gained `seq`, `status` and `search_grams`, versions `slot`, workspaces their
counters; personas published before environments, their production deployment. A marker
per change records that a database was brought up to date, so later starts pay one point
lookup. Safe when several processes start together: each persona takes a seq
only through a conditional update, and a lost race just leaves a gap in the numbering.
"""

import contextlib
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from app.access.documents import Workspace
from app.personas.documents import Persona, PersonaVersion, Production
from app.release.documents import PRODUCTION, Deployment

MARKER = {"_id": "persona-seq-v1"}
DEPLOYMENTS_MARKER = {"_id": "deployments-v1"}


async def backfill(database: AsyncDatabase[dict[str, Any]]) -> None:
    done = database["migrations"]
    if await done.find_one(MARKER) is None:
        await _number_personas(database)
        await done.update_one(MARKER, {"$set": {"done": True}}, upsert=True)
    if await done.find_one(DEPLOYMENTS_MARKER) is None:
        await _deploy_productions(database)
        await done.update_one(DEPLOYMENTS_MARKER, {"$set": {"done": True}}, upsert=True)


async def _deploy_productions(database: AsyncDatabase[dict[str, Any]]) -> None:
    deployments = database[Deployment.get_collection_name()]
    async for row in database[Persona.get_collection_name()].find({"production": {"$ne": None}}):
        production = Production.model_validate(row["production"])
        deployment = Deployment(
            workspace_id=row["workspace_id"],
            persona_id=row["_id"],
            environment=PRODUCTION,
            version=production.version,
            deployed_at=production.published_at,
            deployed_by=production.published_by,
            note=production.note,
        )
        with contextlib.suppress(DuplicateKeyError):  # another process did it first
            await deployments.insert_one(deployment.model_dump(by_alias=True, exclude={"id"}))


async def _number_personas(database: AsyncDatabase[dict[str, Any]]) -> None:
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

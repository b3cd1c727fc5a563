"""The raw-driver baseline: the least an HTTP service over the same data could do.

Run as `uvicorn bench.baseline:app` with MONGODB_URI, MONGODB_DATABASE and
BENCH_WORKSPACE_ID set. Each endpoint is one driver call and `json.dumps`:

    GET  /persona?id=<hex>   find_one by _id
    GET  /page               the workspace's 50 newest: the top `seq` range, as the API reads it
    POST /update?id=<hex>    one conditional update_one on {_id, revision}: $inc revision
"""

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from itertools import count
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.access.documents import Workspace
from app.personas.documents import Persona

PAGE_SIZE = 50
_names = count()


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)  # ObjectId


def _json(document: Any) -> Response:
    return Response(json.dumps(document, default=_default), media_type="application/json")


def _collection(request: Request) -> AsyncCollection[dict[str, Any]]:
    collection: AsyncCollection[dict[str, Any]] = request.app.state.personas
    return collection


def _object_id(request: Request) -> ObjectId | None:
    try:
        return ObjectId(request.query_params.get("id", ""))
    except (InvalidId, TypeError):
        return None


def _not_found() -> Response:
    return JSONResponse({"error": "not found"}, status_code=404)


async def persona(request: Request) -> Response:
    object_id = _object_id(request)
    found = None if object_id is None else await _collection(request).find_one({"_id": object_id})
    return _not_found() if found is None else _json(found)


async def page(request: Request) -> Response:
    # A raw `sort(_id).limit(50)` costs the whole workspace on the embedded database, which
    # gathers every index match before sorting; the API's own seq range is the fair floor.
    workspace_id = request.app.state.workspace_id
    top = await request.app.state.workspaces.find_one({"_id": workspace_id})
    last = int(top["persona_seq"]) if top else 0
    window = {"workspace_id": workspace_id, "seq": {"$gt": last - PAGE_SIZE - 1}}
    return _json(await _collection(request).find(window).sort("seq", -1).to_list())


async def update(request: Request) -> Response:
    object_id = _object_id(request)
    if object_id is None:
        return _not_found()
    # The API's write is a conditional update too; it has read the revision first, which a
    # raw endpoint need not: the condition here is on _id alone plus what it sets.
    result = await _collection(request).update_one(
        {"_id": object_id},
        {
            "$set": {"draft.name": f"Baseline {next(_names)}", "updated_at": datetime.now(UTC)},
            "$inc": {"revision": 1},
        },
    )
    return _not_found() if not result.matched_count else _json({"ok": True})


async def readyz(request: Request) -> Response:
    await request.app.state.client.admin.command("ping")
    return JSONResponse({"status": "ready"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        os.environ["MONGODB_URI"], tz_aware=True
    )
    try:
        app.state.client = client
        database = client[os.environ["MONGODB_DATABASE"]]
        app.state.personas = database[Persona.Settings.name]
        app.state.workspaces = database[Workspace.Settings.name]
        app.state.workspace_id = ObjectId(os.environ["BENCH_WORKSPACE_ID"])
        yield
    finally:
        await client.close()


app = Starlette(
    routes=[
        Route("/persona", persona),
        Route("/page", page),
        Route("/update", update, methods=["POST"]),
        Route("/readyz", readyz),
    ],
    lifespan=lifespan,
)

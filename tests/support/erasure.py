"""Erasure for the tests: personas in every kind of memory space, and what the database keeps."""

import hashlib
from typing import Any

import httpx
from bson import ObjectId, json_util

from app.platform.database import MongoDatabase
from tests.support.client import GraphQLClient, object_id, publish
from tests.support.memory import recorded, remembering_persona
from tests.support.memory_policy import set_policy
from tests.support.processes import Server

CONTACT = "+15550100"
OTHER_CONTACT = "+15550199"
SUMMARY = "Asked to move the delivery"
NODE_RECEIPT = """
query($id: ID!) {
  node(id: $id) { __typename ... on ErasureReceipt { id contactIdSha256 erasedBy } }
}
"""

# What a memory space holds of a contact: (conversations, sorted fact keys).
Held = tuple[int, list[str]]


def sha256(contact_id: str) -> str:
    return hashlib.sha256(contact_id.encode()).hexdigest()


def own_space(persona: dict[str, Any]) -> str:
    return f"persona:{object_id(persona['id'])}"


async def persona_in(api: GraphQLClient, name: str, scope: str = "PERSONA") -> dict[str, Any]:
    """A published persona with memory on, recording into its own space or the shared one."""
    return await remembering_persona(api, policy={"scope": scope}, name=name)


async def republished(api: GraphQLClient, persona: dict[str, Any], scope: str) -> dict[str, Any]:
    """The persona published again with another memory scope."""
    changed = await set_policy(api, persona, {"scope": scope})
    assert changed["userErrors"] == [], changed["userErrors"]
    published = await publish(api, changed["persona"])
    assert published["userErrors"] == [], published["userErrors"]
    found: dict[str, Any] = published["persona"]
    return found


async def remember(
    api: GraphQLClient, persona: dict[str, Any], contact_id: str, times: int, **facts: Any
) -> None:
    """`times` conversations of the contact, the first carrying `facts`."""
    for turn in range(times):
        given = facts if turn == 0 else None
        await recorded(
            api, persona, contactId=contact_id, summary=f"{SUMMARY} ({turn}).", facts=given
        )


async def held(database: MongoDatabase, contact_id: str) -> dict[str, Held]:
    """Every memory space that keeps something of the contact, in any workspace."""
    contact = sha256(contact_id)
    spaces: dict[str, Held] = {}
    async for row in database["conversations"].find({"contact": contact}):
        count, keys = spaces.get(row["space"], (0, []))
        spaces[row["space"]] = (count + 1, keys)
    async for row in database["contacts"].find({"contact": contact}):
        count, _ = spaces.get(row["space"], (0, []))
        spaces[row["space"]] = (count, sorted(row["facts"]))
    return spaces


async def held_in(database: MongoDatabase, workspace_id: ObjectId, contact_id: str) -> int:
    """How many documents (conversations and facts) of the contact one workspace keeps."""
    selection = {"workspace_id": workspace_id, "contact": sha256(contact_id)}
    conversations = await database["conversations"].count_documents(selection)
    return conversations + await database["contacts"].count_documents(selection)


async def memory_documents(database: MongoDatabase) -> dict[str, list[dict[str, Any]]]:
    """Every stored memory document and receipt, to compare before and after a refusal."""
    return {
        name: await database[name].find({}).sort("_id", 1).to_list()
        for name in ("conversations", "contacts", "erasure_receipts")
    }


def as_text(document: Any) -> str:
    """A stored document or an answer as one text, to search for what must not be in it."""
    return json_util.dumps(document)


async def post_as(server: Server, key: str, query: str, **variables: Any) -> dict[str, Any]:
    """The whole response body of a request to a `serve` process with this key."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{server.url}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body

"""What each row sends: GraphQL documents, baseline paths, and the write sessions."""

import asyncio
import json
import time
from collections.abc import Sequence
from itertools import count
from typing import Any

import httpx
from beanie import PydanticObjectId

from bench.load import HttpRequest, Sample, Target
from graphql_schema.ids import persona_id

PERSONA = "query($id: ID!) { persona(id: $id) { id draft { name } revision status } }"
LIVE = (
    'query($id: ID!) { liveConfiguration(personaId: $id, channel: VOICE, locale: "en-US")'
    " { version voice { prompt firstMessage } } }"
)
MEMORY = (
    "query($id: ID!, $contactId: String) { liveConfiguration(personaId: $id, channel: VOICE,"
    ' locale: "en-US", contactId: $contactId) { version voice { prompt firstMessage } prompt'
    " contactMemory { facts conversations { summary endedAt channel } } } }"
)
PAGE = (
    "{ personas(first: 50) { totalCount pageInfo { hasNextPage endCursor }"
    " edges { node { id revision status draft { name } } } } }"
)
REVISION = "query($id: ID!) { persona(id: $id) { revision } }"
UPDATE = (
    "mutation($input: UpdatePersonaInput!) { updatePersona(input: $input)"
    " { persona { revision } userErrors { code message } } }"
)
PUBLISH = (
    "mutation($input: PublishPersonaInput!) { publishPersona(input: $input)"
    " { persona { revision } version { version } userErrors { code message } } }"
)
GRAPHQL_ERRORS = ('"errors":',)
_names = count()


def global_id(object_id: str) -> str:
    """The GraphQL id of the persona whose ObjectId is `object_id` (hex)."""
    return persona_id(PydanticObjectId(object_id))


def body(query: str, **variables: object) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


def graphql(base_url: str, key: str, requests: Sequence[HttpRequest]) -> Target:
    headers = {"Authorization": f"Bearer {key}"}
    return Target(base_url, requests, headers, GRAPHQL_ERRORS)


def _by_id(query: str, ids: Sequence[str]) -> list[HttpRequest]:
    return [HttpRequest("POST", "/graphql", body(query, id=global_id(i))) for i in ids]


def persona_reads(base_url: str, key: str, ids: Sequence[str]) -> Target:
    return graphql(base_url, key, _by_id(PERSONA, ids))


def live_reads(base_url: str, key: str, ids: Sequence[str]) -> Target:
    return graphql(base_url, key, _by_id(LIVE, ids))


def memory_reads(base_url: str, key: str, persona: str, contacts: Sequence[str]) -> Target:
    """Call starts of one remembering persona, each with the next of `contacts`."""
    pid = global_id(persona)
    requests = [
        HttpRequest("POST", "/graphql", body(MEMORY, id=pid, contactId=c)) for c in contacts
    ]
    return graphql(base_url, key, requests)


async def _remembered(base_url: str, key: str, persona: str, contact: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120) as http:
        data = await post(http, MEMORY, id=global_id(persona), contactId=contact)
    memory: dict[str, Any] | None = (data["liveConfiguration"] or {}).get("contactMemory")
    if memory is None:
        raise ValueError("liveConfiguration answered no contactMemory")
    return memory


def remembered(base_url: str, key: str, persona: str, contact: str) -> dict[str, Any]:
    """The contactMemory one call start answers: what a memory row checks before it is timed."""
    return asyncio.run(_remembered(base_url, key, persona, contact))


def page_reads(base_url: str, key: str) -> Target:
    return graphql(base_url, key, [HttpRequest("POST", "/graphql", body(PAGE))])


def baseline_reads(base_url: str, ids: Sequence[str]) -> Target:
    return Target(base_url, [HttpRequest("GET", f"/persona?id={i}") for i in ids])


def baseline_page(base_url: str) -> Target:
    return Target(base_url, [HttpRequest("GET", "/page")])


async def post(http: httpx.AsyncClient, query: str, **variables: object) -> dict[str, Any]:
    """The response's data; raises ValueError with the reason when there is none."""
    response = await http.post("/graphql", content=body(query, **variables))
    if response.status_code != 200:
        raise ValueError(f"HTTP {response.status_code}: {response.text[:200]}")
    result: dict[str, Any] = response.json()
    if result.get("errors") or not result.get("data"):
        raise ValueError(json.dumps(result)[:200])
    data: dict[str, Any] = result["data"]
    return data


def payload(data: dict[str, Any], field: str) -> dict[str, Any]:
    payload: dict[str, Any] = data[field]
    if payload["userErrors"]:
        raise ValueError(json.dumps(payload["userErrors"])[:200])
    return payload


class Editor:
    """One connection's own persona, renamed step after step with the right revision."""

    def __init__(self, object_id: str) -> None:
        self.id = global_id(object_id)
        self.revision: int | None = None

    async def prepare(self, http: httpx.AsyncClient) -> None:
        data = await post(http, REVISION, id=self.id)
        self.revision = int(data["persona"]["revision"])

    async def rename(self, http: httpx.AsyncClient) -> Sample:
        """One updatePersona, timed; after a failure the revision is read again."""
        if self.revision is None:
            await self.prepare(http)
        name = f"Bench {next(_names)}"
        start = time.perf_counter()
        try:
            data = await post(
                http, UPDATE, input={"id": self.id, "expectedRevision": self.revision, "name": name}
            )
            latency = time.perf_counter() - start
            self.revision = int(payload(data, "updatePersona")["persona"]["revision"])
        except (ValueError, KeyError, TypeError) as exc:
            self.revision = None
            return Sample(time.perf_counter() - start, f"updatePersona: {exc}")
        return Sample(latency)

    async def step(self, http: httpx.AsyncClient) -> Sample:
        return await self.rename(http)


class Publisher(Editor):
    """Each step renames the draft (untimed), then publishes it (timed)."""

    async def step(self, http: httpx.AsyncClient) -> Sample:
        renamed = await self.rename(http)
        if renamed.error is not None:
            return Sample(None, renamed.error)
        start = time.perf_counter()
        try:
            data = await post(
                http, PUBLISH, input={"personaId": self.id, "expectedRevision": self.revision}
            )
            latency = time.perf_counter() - start
            payload(data, "publishPersona")
        except (ValueError, KeyError, TypeError) as exc:
            self.revision = None
            return Sample(time.perf_counter() - start, f"publishPersona: {exc}")
        return Sample(latency)


class BaselineUpdater:
    """POST /update on the baseline for one persona of its own."""

    def __init__(self, object_id: str) -> None:
        self.path = f"/update?id={object_id}"

    async def prepare(self, http: httpx.AsyncClient) -> None:
        return None

    async def step(self, http: httpx.AsyncClient) -> Sample:
        start = time.perf_counter()
        response = await http.post(self.path)
        latency = time.perf_counter() - start
        if response.status_code != 200:
            return Sample(latency, f"HTTP {response.status_code}: {response.text[:200]}")
        return Sample(latency)

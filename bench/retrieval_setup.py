"""The retrieval rows' data, made as a user would: a knowledge base of TEXT sources created
through GraphQL, attached to a persona's VOICE channel, published; a RUNTIME key to ask.

Requests stay under the server's 1 MiB body limit (MAX_BODY_BYTES), so the sources go
in batches: createKnowledgeBase with the first, addKnowledgeSources with the rest.
"""

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from app.access.keys import issue_key, workspace_named
from app.access.principal import Role
from app.platform.database import connect
from app.server.models import bind_all
from bench.retrieval_corpus import Source
from bench.scenarios import body

WORKSPACE = "bench-knowledge"
BODY_BYTES = 700_000  # sources per request: as many as stay well under 1 MiB of JSON
BASE = "knowledgeBase { id revision } userErrors { code message }"
CREATE_BASE = (
    f"mutation($input: KnowledgeBaseInput!) {{ createKnowledgeBase(input: $input) {{ {BASE} }} }}"
)
ADD_SOURCES = (
    "mutation($input: AddKnowledgeSourcesInput!)"
    f" {{ addKnowledgeSources(input: $input) {{ {BASE} }} }}"
)
CREATE_PERSONA = (
    "mutation($input: CreatePersonaInput!) { createPersona(input: $input)"
    " { persona { id revision } userErrors { code message } } }"
)
PUBLISH = (
    "mutation($input: PublishPersonaInput!) { publishPersona(input: $input)"
    " { version { version } userErrors { code message } } }"
)
VOICE = {
    "locale": "en-US",
    "prompt": "Answer from the handbooks.",
    "voiceKey": "sara-en-us-f",
    "modelKey": "gpt-4o-mini",
    "firstMessage": "Hello",
}


@dataclass(frozen=True)
class Keys:
    admin: str
    runtime: str


@dataclass(frozen=True)
class Published:
    """A persona whose published version attaches one knowledge base to VOICE."""

    persona_id: str  # the GraphQL id
    version: int
    knowledge_base_id: str  # the GraphQL id, which POST /retrieval takes as knowledge_id


async def _keys(uri: str, database: str) -> Keys:
    client = connect(uri)
    try:
        await bind_all(client[database])
        found = await workspace_named(WORKSPACE)
        assert found.id is not None
        admin = await issue_key(found.id, "bench", Role.ADMIN)
        runtime = await issue_key(found.id, "bench-runtime", Role.RUNTIME)
    finally:
        await client.close()
    return Keys(admin.secret, runtime.secret)


def keys(uri: str, database: str) -> Keys:
    """An ADMIN key to set up with and a RUNTIME key to retrieve with, in WORKSPACE."""
    return asyncio.run(_keys(uri, database))


def _payload(http: httpx.Client, query: str, field: str, **input: Any) -> dict[str, Any]:
    response = http.post("/graphql", content=body(query, input=input))
    result: dict[str, Any] = response.json() if response.status_code == 200 else {}
    payload: dict[str, Any] | None = (result.get("data") or {}).get(field)
    if not payload or payload["userErrors"]:
        raise RuntimeError(f"{field}: HTTP {response.status_code} {response.text[:300]}")
    return payload


def _batches(sources: list[Source]) -> list[list[dict[str, str]]]:
    batches: list[list[dict[str, str]]] = [[]]
    size = 0
    for source in sources:
        spec = {"kind": "TEXT", "title": source.title, "text": source.text}
        if batches[-1] and size + len(source.text) > BODY_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(spec)
        size += len(source.text)
    return batches


def _base(http: httpx.Client, name: str, sources: list[Source]) -> str:
    first, *rest = _batches(sources)
    base = _payload(http, CREATE_BASE, "createKnowledgeBase", name=name, sources=first)
    made = base["knowledgeBase"]
    for batch in rest:
        added = _payload(
            http,
            ADD_SOURCES,
            "addKnowledgeSources",
            knowledgeBaseId=made["id"],
            expectedRevision=made["revision"],
            sources=batch,
        )
        made = added["knowledgeBase"]
    return str(made["id"])


def _published(http: httpx.Client, name: str, base_id: str) -> Published:
    attachment = {"knowledgeBaseId": base_id, "channels": ["VOICE"], "topK": 5}
    created = _payload(
        http,
        CREATE_PERSONA,
        "createPersona",
        name=name,
        voiceConfigurations=[VOICE],
        knowledgeBases=[attachment],
    )["persona"]
    revision = created["revision"]
    published = _payload(
        http, PUBLISH, "publishPersona", personaId=created["id"], expectedRevision=revision
    )
    return Published(created["id"], int(published["version"]["version"]), base_id)


def publish(url: str, admin: str, name: str, sources: list[Source]) -> Published:
    """A knowledge base of `sources` named `name`, on a persona of that name, published."""
    headers = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
    with httpx.Client(base_url=url, headers=headers, timeout=300.0) as http:
        return _published(http, name, _base(http, name, sources))

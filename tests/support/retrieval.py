"""retrieveKnowledge and searchKnowledgeBase for the tests, and personas that pin bases."""

import base64
import json
import random
from pathlib import Path
from typing import Any

from bson import ObjectId

from tests.support.client import GraphQLClient, chat_input, publish, voice_input
from tests.support.library import create_knowledge_base

PASSAGE = "knowledgeBaseId sourceId title url text start score"
RETRIEVE = f"""
query($personaId: ID!, $version: Int!, $channel: Channel!, $q: String!, $topK: Int,
      $minScore: Float) {{
  retrieveKnowledge(personaId: $personaId, version: $version, channel: $channel,
                    query: $q, topK: $topK, minScore: $minScore) {{ {PASSAGE} }}
}}
"""
SEARCH = f"""
query($id: ID!, $q: String!, $topK: Int, $minScore: Float) {{
  searchKnowledgeBase(id: $id, query: $q, topK: $topK, minScore: $minScore) {{ {PASSAGE} }}
}}
"""
# The query text is $q: GraphQLClient.data's own first argument is named `query`.
CORPUS = Path(__file__).with_name("knowledge_corpus.json")


def source(title: str, text: str) -> dict[str, Any]:
    return {"kind": "TEXT", "title": title, "text": text}


async def base_of(client: GraphQLClient, name: str, *texts: tuple[str, str]) -> dict[str, Any]:
    """A knowledge base named `name` of TEXT sources (title, text)."""
    sources = [source(title, text) for title, text in texts]
    return await create_knowledge_base(client, name=name, description=None, sources=sources)


def _variables(**arguments: Any) -> dict[str, Any]:
    # Left out, not null: the schema's defaults apply to what is not sent.
    return {name: value for name, value in arguments.items() if value is not None}


async def search(
    client: GraphQLClient, base: dict[str, Any], query: str, **arguments: Any
) -> list[dict[str, Any]]:
    data = await client.data(SEARCH, id=base["id"], q=query, **_variables(**arguments))
    found: list[dict[str, Any]] = data["searchKnowledgeBase"]
    return found


async def retrieve(
    client: GraphQLClient,
    persona: dict[str, Any],
    version: int,
    query: str,
    channel: str = "VOICE",
    **arguments: Any,
) -> list[dict[str, Any]]:
    data = await client.data(
        RETRIEVE,
        personaId=persona["id"],
        version=version,
        channel=channel,
        q=query,
        **_variables(**arguments),
    )
    found: list[dict[str, Any]] = data["retrieveKnowledge"]
    return found


def unknown_id(kind: str) -> str:
    """A well-formed global id of `kind` that names nothing."""
    return base64.urlsafe_b64encode(f"{kind}:{ObjectId()}".encode()).decode().rstrip("=")


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def published_with(
    client: GraphQLClient, *attachments: dict[str, Any], name: str = "Support"
) -> tuple[dict[str, Any], int]:
    """A persona on both channels attaching these (KnowledgeBaseAttachmentInput), published:
    the persona as it now is, and the version."""
    persona = await client.create_persona(
        name=name,
        voiceConfigurations=[voice_input()],
        chatConfiguration=chat_input(),
        knowledgeBases=list(attachments),
    )
    payload = await publish(client, persona)
    assert payload["userErrors"] == [], payload["userErrors"]
    published: dict[str, Any] = payload["persona"]
    return published, payload["version"]["version"]


def corpus() -> dict[str, Any]:
    """The quality set: documents by language, and questions naming the document answering."""
    loaded: dict[str, Any] = json.loads(CORPUS.read_text(encoding="utf-8"))
    return loaded


def generated_texts(count: int, characters: int, seed: str) -> list[str]:
    """`count` texts of exactly `characters` characters: paragraphs of made-up words, the same
    for the same seed."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choices(letters, k=rng.randint(3, 9))) for _ in range(20_000)]
    texts = []
    for _ in range(count):
        paragraphs: list[str] = []
        size = 0
        while size < characters:
            paragraphs.append(" ".join(rng.choices(words, k=80)) + ".")
            size += len(paragraphs[-1]) + 2
        texts.append("\n\n".join(paragraphs)[:characters])
    return texts

"""retrieveKnowledge on a serving process: the persona's presence read from memory, and
dropped there by the news of its delete, from this process or another."""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.platform.embedded import EmbeddedDatabase
from tests.conftest import ClientFactory, CommandLog
from tests.support.client import CREATE, DELETE, PUBLISH, GraphQLClient, voice_input
from tests.support.processes import Server, graphql_async, serving_two
from tests.support.retrieval import RETRIEVE, base_of, error_codes, published_with, retrieve

PARKING = ("Parking", "Free parking is in the underground garage on Cedar Street.")
BASE = (
    "mutation($input: KnowledgeBaseInput!) { createKnowledgeBase(input: $input)"
    " { knowledgeBase { id } userErrors { code } } }"
)


@pytest.fixture
async def served(app: Starlette, client_for: ClientFactory) -> AsyncIterator[GraphQLClient]:
    """A client of the app with its lifespan running: it follows the change stream and caches."""
    async with app.router.lifespan_context(app):
        yield await client_for()


async def _retrieval(client: GraphQLClient, persona: dict[str, Any], version: int) -> Any:
    return await client.execute(
        RETRIEVE, personaId=persona["id"], version=version, channel="VOICE", q="parking"
    )


async def test_a_retrieval_reads_no_persona_after_the_first(
    served: GraphQLClient, command_log: CommandLog
) -> None:
    base = await base_of(served, "Front desk", PARKING)
    persona, version = await published_with(served, {"knowledgeBaseId": base["id"]})
    assert len(await retrieve(served, persona, version, "parking")) == 1

    command_log.targets = []
    for _ in range(5):
        assert len(await retrieve(served, persona, version, "parking")) == 1
    assert command_log.targets == []


async def test_a_delete_here_is_not_found_at_once_and_strangers_never_find(
    served: GraphQLClient, client_for: ClientFactory
) -> None:
    base = await base_of(served, "Front desk", PARKING)
    persona, version = await published_with(served, {"knowledgeBaseId": base["id"]})
    stranger = await client_for(workspace="globex")
    assert error_codes(await _retrieval(stranger, persona, version)) == ["NOT_FOUND"]
    assert len(await retrieve(served, persona, version, "parking")) == 1
    assert error_codes(await _retrieval(stranger, persona, version)) == ["NOT_FOUND"]

    await served.data(DELETE, input={"id": persona["id"]})
    assert error_codes(await _retrieval(served, persona, version)) == ["NOT_FOUND"]


async def _codes_at(server: Server, variables: dict[str, Any]) -> list[str]:
    async with httpx.AsyncClient(timeout=30, headers=server.headers) as http:
        response = await http.post(
            f"{server.url}/graphql", json={"query": RETRIEVE, "variables": variables}
        )
    return error_codes(response.json())


async def _not_found_at(server: Server, variables: dict[str, Any]) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if await _codes_at(server, variables) == ["NOT_FOUND"]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{server.url} still retrieves from a deleted persona")


async def test_a_delete_on_another_process_is_heard(
    tmp_path: Path, mongo_server: EmbeddedDatabase
) -> None:
    with serving_two(tmp_path, mongo_server.uri) as (writer, reader):
        sources = [{"kind": "TEXT", "title": PARKING[0], "text": PARKING[1]}]
        made = await graphql_async(writer, BASE, input={"name": "Desk", "sources": sources})
        attachment = {"knowledgeBaseId": made["createKnowledgeBase"]["knowledgeBase"]["id"]}
        spec = {"name": "Desk", "voiceConfigurations": [voice_input()]}
        created = await graphql_async(
            writer, CREATE, input={**spec, "knowledgeBases": [attachment]}
        )
        pid = created["createPersona"]["persona"]["id"]
        await graphql_async(writer, PUBLISH, input={"personaId": pid, "expectedRevision": 1})
        variables = {"personaId": pid, "version": 1, "channel": "VOICE", "q": "parking"}
        assert await _codes_at(reader, variables) == []  # read once, then held
        assert await _codes_at(reader, variables) == []
        await graphql_async(writer, DELETE, input={"id": pid})
        await _not_found_at(reader, variables)

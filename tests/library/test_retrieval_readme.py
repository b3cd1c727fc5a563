"""The README's retrieval walk-through runs as written: a knowledge base, a search, and a
retrieval of a published version."""

from pathlib import Path

from app.access.principal import Role
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient, publish, voice_input
from tests.support.readme import graphql_blocks

SECTION = "## Knowledge retrieval: from source to passage"


async def test_the_walk_through_works_as_written(
    api: GraphQLClient, client_for: ClientFactory, repo_root: Path
) -> None:
    create, search, retrieve = graphql_blocks(repo_root, SECTION)
    created = (await api.data(create))["createKnowledgeBase"]
    assert created["userErrors"] == []
    base_id = created["knowledgeBase"]["id"]
    found = (await api.data(search.replace("<knowledge base id>", base_id)))["searchKnowledgeBase"]
    assert found[0]["title"] == "Parking"
    persona = await api.create_persona(
        voiceConfigurations=[voice_input()], knowledgeBases=[{"knowledgeBaseId": base_id}]
    )
    assert (await publish(api, persona))["userErrors"] == []
    runtime = await client_for(Role.RUNTIME)

    passages = (await runtime.data(retrieve.replace("<persona id>", persona["id"])))[
        "retrieveKnowledge"
    ]

    assert [p["text"] for p in passages][:1] == [
        "Parking is free in the garage under the building."
    ]
    assert passages[0]["knowledgeBaseId"] == base_id
    assert all(p["score"] >= 0.1 for p in passages)

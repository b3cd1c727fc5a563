"""The README's tools, knowledge bases and variables walk-through runs as written."""

from pathlib import Path
from typing import Any

from tests.support.client import GraphQLClient, publish
from tests.support.readme import graphql_blocks

SECTION = "## Tools, knowledge bases and variables"


async def test_the_walk_through_works_as_written(api: GraphQLClient, repo_root: Path) -> None:
    tool, base, persona, call = graphql_blocks(repo_root, SECTION)
    tool_id = (await api.data(tool))["createTool"]["tool"]["id"]
    base_id = (await api.data(base))["createKnowledgeBase"]["knowledgeBase"]["id"]
    filled = persona.replace("<tool id>", tool_id).replace("<knowledge base id>", base_id)
    created = (await api.data(filled))["createPersona"]
    assert created["userErrors"] == []
    assert created["persona"]["readiness"]["publishable"] is True
    published = await publish(api, created["persona"])
    assert published["userErrors"] == []
    answer: dict[str, Any] = (
        await api.data(call.replace("<persona id>", created["persona"]["id"]))
    )["liveConfiguration"]
    assert answer["prompt"] == "You answer calls for Smile Dental. Be brief."
    assert answer["firstMessage"] == "Hello Ada, this is Front desk."
    assert answer["ignoredVariables"] == ["mood"]
    assert [t["name"] for t in answer["tools"]] == ["book_appointment"]
    assert answer["knowledgeBases"][0]["definition"]["name"] == "Clinic FAQ"
    missing = await api.execute(
        call.replace("<persona id>", created["persona"]["id"]).replace(
            'clinic: "Smile Dental", ', ""
        )
    )
    assert missing["errors"][0]["extensions"] == {
        "code": "MISSING_VARIABLES",
        "variables": ["clinic"],
    }

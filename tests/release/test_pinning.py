"""A published version pins the tools it attached: later edits and deletes change none of it."""

from typing import Any

from tests.support.callstart import call_start
from tests.support.client import (
    RESTORE,
    ROLLBACK,
    GraphQLClient,
    chat_input,
    errors_of,
    mutate,
    publish,
    voice_input,
)
from tests.support.library import (
    DELETE_KB,
    DELETE_TOOL,
    PERSONA_TOOLS,
    SET_KNOWLEDGE_BASES,
    SET_TOOLS,
    UPDATE_KB,
    UPDATE_TOOL,
    attach,
    create_knowledge_base,
    create_tool,
    function_tool,
    set_tools,
)


async def _published_with_tool(api: GraphQLClient) -> tuple[dict[str, Any], dict[str, Any]]:
    persona = await api.create_persona(
        voiceConfigurations=[voice_input()], chatConfiguration=chat_input()
    )
    tool = await create_tool(api)
    persona = await set_tools(api, persona, attach(tool))
    published = await publish(api, persona)
    assert published["userErrors"] == []
    return published["persona"], tool


async def _tools(api: GraphQLClient, persona: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = (await api.data(PERSONA_TOOLS, id=persona["id"]))["persona"]
    return found


async def _edit_tool(
    api: GraphQLClient, tool: dict[str, Any], revision: int, **fields: Any
) -> None:
    input = {"id": tool["id"], "expectedRevision": revision, "tool": function_tool(**fields)}
    await api.ok(UPDATE_TOOL, "updateTool", input=input)


async def test_editing_a_tool_after_publishing_leaves_production_as_published(
    api: GraphQLClient,
) -> None:
    persona, tool = await _published_with_tool(api)
    await _edit_tool(api, tool, 1, description="Changed later.", timeoutSeconds=3)
    found = await _tools(api, persona)
    (running,) = found["production"]["snapshot"]["tools"]
    assert running["definition"]["revision"] == 1
    assert running["definition"]["description"] == "The forecast for a city."
    assert running["definition"]["timeoutSeconds"] == 20
    assert running["tool"]["revision"] == 2  # the tool as it is now, beside the pinned copy
    (drafted,) = found["draft"]["tools"]
    assert drafted["definition"]["description"] == "Changed later."
    # Editing a tool does not change the personas that attach it...
    assert (found["revision"], found["status"]) == (persona["revision"], "PUBLISHED")
    # ...but publishing again pins the new definition.
    again = await publish(api, persona)
    assert again["userErrors"] == []
    assert again["version"]["version"] == 2
    found = await _tools(api, persona)
    assert found["production"]["snapshot"]["tools"][0]["definition"]["revision"] == 2
    nothing = await publish(api, persona)
    assert errors_of(nothing) == [("NOTHING_TO_PUBLISH", ["personaId"])]


async def test_deleting_a_tool_after_publishing_keeps_the_pinned_copy(api: GraphQLClient) -> None:
    persona, tool = await _published_with_tool(api)
    persona = await set_tools(api, persona, [])
    assert errors_of(await mutate(api, DELETE_TOOL, id=tool["id"])) == []
    found = await _tools(api, persona)
    (running,) = found["production"]["snapshot"]["tools"]
    assert running["tool"] is None
    assert running["definition"]["name"] == "get_weather"
    assert running["definition"]["toolId"] == tool["id"]
    # The version can't become the draft again (its tool is gone) but can go live again.
    restored = await mutate(
        api, RESTORE, personaId=persona["id"], expectedRevision=persona["revision"], version=1
    )
    assert errors_of(restored) == [("NOT_FOUND", ["version"])]
    await publish(api, persona)
    rolled_back = await mutate(api, ROLLBACK, personaId=persona["id"], version=1)
    assert rolled_back["userErrors"] == []
    found = await _tools(api, persona)
    assert found["production"]["snapshot"]["tools"][0]["definition"]["name"] == "get_weather"


async def test_restoring_a_version_attaches_its_tools_to_the_draft_again(
    api: GraphQLClient,
) -> None:
    persona, tool = await _published_with_tool(api)
    persona = await set_tools(api, persona, [])
    await _edit_tool(api, tool, 1, description="Newer.")
    restored = await mutate(
        api, RESTORE, personaId=persona["id"], expectedRevision=persona["revision"], version=1
    )
    assert restored["userErrors"] == []
    (drafted,) = (
        restored["persona"]["draft"]["tools"]
        if "tools" in restored["persona"]["draft"]
        else (await _tools(api, persona))["draft"]["tools"]
    )
    assert drafted["definition"]["description"] == "Newer."  # a draft runs the tool as it is
    refused = await mutate(api, DELETE_TOOL, id=tool["id"])
    assert errors_of(refused) == [("IN_USE", ["id"])]


async def test_the_live_answer_keeps_the_pinned_tool_and_knowledge_base(
    api: GraphQLClient,
) -> None:
    tool = await create_tool(api)
    base = await create_knowledge_base(api)
    persona = await api.create_persona(
        voiceConfigurations=[voice_input()],
        tools=[{"toolId": tool["id"]}],
        knowledgeBases=[{"knowledgeBaseId": base["id"]}],
    )
    assert (await publish(api, persona))["userErrors"] == []
    before = (await call_start(api, persona))["data"]["liveConfiguration"]
    await _edit_tool(api, tool, 1, description="Edited after publishing.")
    renamed = {"id": base["id"], "expectedRevision": 1, "name": "Renamed"}
    await api.ok(UPDATE_KB, "updateKnowledgeBase", input=renamed)
    after_edits = (await call_start(api, persona))["data"]["liveConfiguration"]
    assert after_edits["tools"] == before["tools"]
    assert (
        after_edits["knowledgeBases"][0]["definition"] == before["knowledgeBases"][0]["definition"]
    )
    assert after_edits["knowledgeBases"][0]["knowledgeBase"]["revision"] == 2
    detached = {"personaId": persona["id"], "expectedRevision": 1}
    await api.ok(SET_TOOLS, "setPersonaTools", input={**detached, "tools": []})
    await api.ok(
        SET_KNOWLEDGE_BASES,
        "setPersonaKnowledgeBases",
        input={**detached, "expectedRevision": 2, "knowledgeBases": []},
    )
    assert errors_of(await mutate(api, DELETE_TOOL, id=tool["id"])) == []
    assert errors_of(await mutate(api, DELETE_KB, id=base["id"])) == []
    after_deletes = (await call_start(api, persona))["data"]["liveConfiguration"]
    assert after_deletes["tools"] == before["tools"]
    assert (
        after_deletes["knowledgeBases"][0]["definition"]
        == before["knowledgeBases"][0]["definition"]
    )
    assert after_deletes["knowledgeBases"][0]["knowledgeBase"] is None

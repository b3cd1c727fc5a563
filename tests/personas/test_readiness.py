"""Persona.readiness and Persona.preview: what publishing would do, and the draft resolved."""

from typing import Any

from app.platform.database import MongoDatabase
from tests.support.callstart import (
    PREVIEW,
    READINESS,
    VARIABLES,
    call_start,
    templated_persona,
)
from tests.support.client import (
    GraphQLClient,
    chat_input,
    publish,
    stored,
    voice_input,
)
from tests.support.library import (
    UPDATE_TOOL,
    attach,
    create_knowledge_base,
    create_tool,
    function_tool,
    set_tools,
)
from tests.support.variables import set_variables


async def _readiness(api: GraphQLClient, persona: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = (await api.data(READINESS, id=persona["id"]))["persona"]["readiness"]
    return found


def _codes(errors: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    return [(error["code"], error["field"]) for error in errors]


async def test_readiness_lists_what_publishing_would_refuse(api: GraphQLClient) -> None:
    empty = await api.create_persona(name="Empty")
    ready = await _readiness(api, empty)
    assert ready["publishable"] is False
    assert _codes(ready["problems"]) == [("NOT_PUBLISHABLE", ["draft"])]
    refused = await publish(api, empty)
    assert _codes(refused["userErrors"]) == _codes(ready["problems"])

    undefined = await api.create_persona(
        name="Undefined", voiceConfigurations=[voice_input(prompt="Hi {{ who }}")]
    )
    path = ["draft", "voiceConfigurations", "en-US", "prompt"]
    assert _codes((await _readiness(api, undefined))["problems"]) == [("NOT_PUBLISHABLE", path)]


async def test_a_published_draft_has_nothing_to_publish_until_a_tool_changes(
    api: GraphQLClient,
) -> None:
    tool = await create_tool(api)
    persona = await api.create_persona(voiceConfigurations=[voice_input()])
    persona = await set_tools(api, persona, attach(tool, channels=["VOICE"]))
    assert (await _readiness(api, persona)) == {"publishable": True, "problems": [], "warnings": []}
    await publish(api, persona)
    ready = await _readiness(api, persona)
    assert _codes(ready["problems"]) == [("NOTHING_TO_PUBLISH", ["personaId"])]
    changed = {"id": tool["id"], "expectedRevision": 1, "tool": function_tool(timeoutSeconds=5)}
    await api.ok(UPDATE_TOOL, "updateTool", input=changed)
    assert (await _readiness(api, persona))["publishable"] is True


async def test_warnings_point_at_probable_mistakes(api: GraphQLClient) -> None:
    tool = await create_tool(api)
    empty_base = await create_knowledge_base(api, sources=[])
    persona = await api.create_persona(
        voiceConfigurations=[voice_input(prompt="Hello {{ used }}")],
        variables=[{"name": "used"}, {"name": "unused"}],
        knowledgeBases=[{"knowledgeBaseId": empty_base["id"], "channels": ["VOICE"]}],
    )
    persona = await set_tools(api, persona, attach(tool))  # VOICE and CHAT; no chat configured
    ready = await _readiness(api, persona)
    assert ready["publishable"] is True
    assert _codes(ready["warnings"]) == [
        ("UNUSED_VARIABLE", ["draft", "variables", "1", "name"]),
        ("CHANNEL_NOT_CONFIGURED", ["draft", "tools", "0", "channels"]),
        ("EMPTY_KNOWLEDGE_BASE", ["draft", "knowledgeBases", "0", "knowledgeBaseId"]),
    ]


async def _preview(api: GraphQLClient, persona: dict[str, Any], **call: Any) -> dict[str, Any]:
    body = await api.execute(PREVIEW, id=persona["id"], **{"channel": "VOICE", **call})
    assert "errors" not in body, body["errors"]
    found: dict[str, Any] = body["data"]["persona"]["preview"]
    return found


async def test_preview_resolves_the_draft_as_the_next_version_and_records_nothing(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await templated_persona(api)
    defaults = [v if v["name"] != "plan" else {**v, "defaultValue": "Trial"} for v in VARIABLES]
    persona = (await set_variables(api, persona, defaults))["persona"]
    before = await stored(database)
    preview = await _preview(api, persona, variables={"seats": 1})
    assert await stored(database) == before
    assert (preview["version"], preview["rolloutArm"]) == (2, "BASELINE")
    assert preview["prompt"] == "You speak en-US on voice in production. Plan: Trial. Seats: 1."
    live = (await call_start(api, persona, variables={"plan": "Trial", "seats": 1}))["data"]
    assert live["liveConfiguration"]["version"] == 1
    assert preview["resolutionId"] != live["liveConfiguration"]["resolutionId"]


async def test_preview_answers_the_draft_tools_as_they_are_now(api: GraphQLClient) -> None:
    tool = await create_tool(api)
    persona = await api.create_persona(
        voiceConfigurations=[voice_input()], chatConfiguration=chat_input()
    )
    persona = await set_tools(api, persona, attach(tool, channels=["CHAT"]))
    assert (await _preview(api, persona))["tools"] == []
    chat = await _preview(api, persona, channel="CHAT")
    assert [(t["toolId"], t["revision"]) for t in chat["tools"]] == [(tool["id"], 1)]
    missing = await api.execute(PREVIEW, id=persona["id"], channel="VOICE", environment="qa")
    assert missing["errors"][0]["extensions"]["code"] == "UNKNOWN_ENVIRONMENT"

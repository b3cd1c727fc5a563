"""Tools: stored per workspace with a revision, validated, named uniquely, paged and searched."""

from typing import Any

from app.access.principal import Role
from app.platform.database import MongoDatabase
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient, errors_of, mutate
from tests.support.library import (
    CREATE_TOOL,
    DELETE_TOOL,
    READ_TOOL,
    TOOLS,
    UPDATE_TOOL,
    WEATHER,
    create_tool,
    function_tool,
    mcp_tool,
)


async def test_a_function_tool_keeps_its_schema_exactly(api: GraphQLClient) -> None:
    tool = await create_tool(api)
    assert tool["parameters"] == WEATHER  # "$schema", "$ref" and "$defs" included
    assert (tool["kind"], tool["revision"], tool["timeoutSeconds"]) == ("FUNCTION", 1, 20)
    assert tool["allowedTools"] is None
    read = await api.data(READ_TOOL, id=tool["id"])
    assert read["tool"] == tool
    node = await api.data(
        "query($id: ID!) { node(id: $id) { id ... on Tool { name } } }", id=tool["id"]
    )
    assert node["node"] == {"id": tool["id"], "name": "get_weather"}


async def test_a_schema_keeps_integers_past_64_bits_and_any_script(api: GraphQLClient) -> None:
    amount = {"type": "integer", "maximum": 2**70, "description": "Montant en dirhams (درهم)"}
    parameters = {"type": "object", "properties": {"amount": amount}}
    tool = await create_tool(api, parameters=parameters)
    assert tool["parameters"] == parameters
    assert (await api.data(READ_TOOL, id=tool["id"]))["tool"]["parameters"] == parameters


async def test_an_mcp_tool_has_an_allow_list_and_no_parameters(api: GraphQLClient) -> None:
    payload = await api.ok(CREATE_TOOL, "createTool", input=mcp_tool())
    tool = payload["tool"]
    assert (tool["kind"], tool["parameters"], tool["allowedTools"]) == (
        "MCP",
        None,
        ["find_contact", "log_call"],
    )


async def test_bad_definitions_are_refused_at_their_paths(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    cases: list[tuple[dict[str, Any], list[str]]] = [
        (function_tool(name="get weather"), ["name"]),
        (function_tool(description=" "), ["description"]),
        (function_tool(url="http://tools.example.com/x"), ["url"]),
        (function_tool(parameters=None), ["parameters"]),
        (function_tool(parameters=[1, 2]), ["parameters"]),
        (function_tool(parameters={"type": "string"}), ["parameters"]),
        (
            function_tool(parameters={"type": "object", "minProperties": -1}),
            ["parameters", "minProperties"],
        ),
        (function_tool(timeoutSeconds=121), ["timeoutSeconds"]),
        (mcp_tool(parameters={"type": "object"}), ["parameters"]),
        (mcp_tool(allowedTools=["a", "a"]), ["allowedTools"]),
    ]
    for spec, path in cases:
        payload = await mutate(api, CREATE_TOOL, **spec)
        assert payload["tool"] is None
        assert errors_of(payload) == [("INVALID", path)], (spec, payload)
    assert await database["tools"].count_documents({}) == 0


async def test_names_are_unique_in_a_workspace_ignoring_case(
    api: GraphQLClient, client_for: ClientFactory
) -> None:
    first = await create_tool(api)
    again = await mutate(api, CREATE_TOOL, **function_tool(name="Get_Weather"))
    assert errors_of(again) == [("DUPLICATE_NAME", ["name"])]
    other = await create_tool(api, name="get_time")
    renamed = await mutate(
        api,
        UPDATE_TOOL,
        id=other["id"],
        expectedRevision=1,
        tool=function_tool(name="GET_WEATHER"),
    )
    assert errors_of(renamed) == [("DUPLICATE_NAME", ["tool", "name"])]
    elsewhere = await client_for(Role.ADMIN, workspace="globex")
    assert (await create_tool(elsewhere))["name"] == first["name"]


async def test_update_replaces_the_definition_and_bumps_the_revision(api: GraphQLClient) -> None:
    tool = await create_tool(api)
    changed = function_tool(description="Tomorrow's weather.", timeoutSeconds=5)
    payload = await api.ok(
        UPDATE_TOOL, "updateTool", input={"id": tool["id"], "expectedRevision": 1, "tool": changed}
    )
    updated = payload["tool"]
    assert (updated["revision"], updated["description"], updated["timeoutSeconds"]) == (
        2,
        "Tomorrow's weather.",
        5,
    )
    assert updated["updatedAt"] > tool["updatedAt"]
    same = await api.ok(
        UPDATE_TOOL, "updateTool", input={"id": tool["id"], "expectedRevision": 2, "tool": changed}
    )
    assert same["tool"]["revision"] == 2  # nothing changed, so nothing to bump
    stale = await mutate(api, UPDATE_TOOL, id=tool["id"], expectedRevision=1, tool=changed)
    assert errors_of(stale) == [("REVISION_MISMATCH", ["expectedRevision"])]


async def test_deleted_and_unknown_tools_are_not_found(api: GraphQLClient) -> None:
    tool = await create_tool(api)
    deleted = await mutate(api, DELETE_TOOL, id=tool["id"])
    assert deleted == {"deletedId": tool["id"], "userErrors": []}
    assert (await api.data(READ_TOOL, id=tool["id"]))["tool"] is None
    again = await mutate(api, DELETE_TOOL, id=tool["id"])
    assert errors_of(again) == [("NOT_FOUND", ["id"])]
    update = await mutate(api, UPDATE_TOOL, id=tool["id"], expectedRevision=1, tool=function_tool())
    assert errors_of(update) == [("NOT_FOUND", ["id"])]
    assert (await api.data(READ_TOOL, id="not-an-id"))["tool"] is None


async def test_pages_are_newest_first_and_search_ignores_case(
    api: GraphQLClient,
) -> None:
    names = [f"tool_{n}" for n in range(7)] + ["Reserve_table"]
    for name in names:
        await create_tool(api, name=name)
    first = (await api.data(TOOLS, first=3))["tools"]
    assert [edge["node"]["name"] for edge in first["edges"]] == [
        "Reserve_table",
        "tool_6",
        "tool_5",
    ]
    assert first["totalCount"] == 8
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await api.data(TOOLS, first=10, after=first["pageInfo"]["endCursor"]))["tools"]
    assert [edge["node"]["name"] for edge in rest["edges"]] == names[4::-1]
    assert rest["pageInfo"]["hasNextPage"] is False
    found = (await api.data(TOOLS, search="SERVE_T"))["tools"]
    assert [edge["node"]["name"] for edge in found["edges"]] == ["Reserve_table"]
    assert found["totalCount"] == 1


async def test_viewers_read_editors_write(client_for: ClientFactory) -> None:
    editor = await client_for(Role.EDITOR)
    viewer = await client_for(Role.VIEWER)
    tool = await create_tool(editor)
    assert (await viewer.data(READ_TOOL, id=tool["id"]))["tool"]["id"] == tool["id"]
    for mutation, input in (
        (CREATE_TOOL, function_tool(name="other")),
        (UPDATE_TOOL, {"id": tool["id"], "expectedRevision": 1, "tool": function_tool()}),
        (DELETE_TOOL, {"id": tool["id"]}),
    ):
        payload = await mutate(viewer, mutation, **input)
        assert errors_of(payload) == [("FORBIDDEN", None)]
    assert (await editor.data(READ_TOOL, id=tool["id"]))["tool"]["revision"] == 1


async def test_another_workspace_sees_no_tool_of_this_one(
    api: GraphQLClient, client_for: ClientFactory
) -> None:
    tool = await create_tool(api)
    other = await client_for(Role.ADMIN, workspace="globex")
    assert (await other.data(READ_TOOL, id=tool["id"]))["tool"] is None
    assert (await other.data(TOOLS))["tools"]["totalCount"] == 0
    for mutation, input in (
        (UPDATE_TOOL, {"id": tool["id"], "expectedRevision": 1, "tool": function_tool()}),
        (DELETE_TOOL, {"id": tool["id"]}),
    ):
        assert errors_of(await mutate(other, mutation, **input)) == [("NOT_FOUND", ["id"])]
    assert (await api.data(READ_TOOL, id=tool["id"]))["tool"]["revision"] == 1

"""A tool's definition is checked rule by rule, each refusal at its field path."""

from typing import Any

import pytest

from app.library.tools.definitions import ToolKind, ToolSpec
from app.library.tools.validation import MAX_DESCRIPTION, check_tool
from app.platform.errors import ErrorCode

WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
    "required": ["city"],
}


def function(**overrides: Any) -> ToolSpec:
    fields: dict[str, Any] = {
        "name": "get_weather",
        "description": "The forecast for a city.",
        "url": "https://tools.example.com/weather",
        "parameters": WEATHER,
    }
    return ToolSpec(**{**fields, **overrides})


def mcp(**overrides: Any) -> ToolSpec:
    fields: dict[str, Any] = {
        "name": "crm",
        "description": "The CRM's MCP server.",
        "kind": ToolKind.MCP,
        "url": "https://mcp.example.com/mcp",
    }
    return ToolSpec(**{**fields, **overrides})


def paths(spec: ToolSpec) -> list[tuple[str, ...]]:
    problems = check_tool(spec, ("tool",))
    assert all(problem.code is ErrorCode.INVALID for problem in problems)
    return [problem.path for problem in problems]


def test_a_function_and_an_mcp_server_as_documented_pass() -> None:
    assert check_tool(function()) == []
    assert check_tool(function(parameters={"type": "object"}, timeout_seconds=120)) == []
    assert check_tool(mcp()) == []
    assert check_tool(mcp(allowed_tools=["find_contact", "log-call"], timeout_seconds=1)) == []


@pytest.mark.parametrize(
    "name", ["get_weather", "A", "a" * 64, "lookup-order_2", "X1"], ids=lambda n: n[:10]
)
def test_names_a_model_accepts(name: str) -> None:
    assert check_tool(function(name=name)) == []


@pytest.mark.parametrize(
    "name", ["", "1st", "_private", "get weather", "a" * 65, "wetter-ü", "dot.ted"]
)
def test_names_a_model_refuses(name: str) -> None:
    assert paths(function(name=name)) == [("tool", "name")]


@pytest.mark.parametrize("description", ["", "   ", "x" * (MAX_DESCRIPTION + 1)])
def test_a_description_is_1_to_1024_characters(description: str) -> None:
    assert paths(function(description=description)) == [("tool", "description")]
    assert check_tool(function(description="x" * MAX_DESCRIPTION)) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://tools.example.com/weather",
        "ftp://tools.example.com/weather",
        "tools.example.com/weather",
        "https://",
        "https://user:secret@tools.example.com/",
        "http://localhost.example.com/",
        "https://[::1",
        "https://example.com/" + "a" * 2048,
    ],
)
def test_urls_are_https_only(url: str) -> None:
    assert paths(function(url=url)) == [("tool", "url")]


@pytest.mark.parametrize("url", ["http://localhost:8080/hook", "http://127.0.0.1/hook"])
def test_plain_http_only_for_this_machine(url: str) -> None:
    assert check_tool(function(url=url)) == []


@pytest.mark.parametrize("timeout", [0, -1, 121])
def test_a_timeout_is_1_to_120_seconds(timeout: int) -> None:
    assert paths(function(timeout_seconds=timeout)) == [("tool", "timeoutSeconds")]


@pytest.mark.parametrize(
    "parameters",
    [None, {}, {"type": "string"}, {"properties": {"city": {"type": "string"}}}],
)
def test_a_function_needs_an_object_schema(parameters: dict[str, Any] | None) -> None:
    assert paths(function(parameters=parameters)) == [("tool", "parameters")]


def test_an_invalid_schema_is_refused_where_it_is_wrong() -> None:
    broken = {"type": "object", "properties": {"city": {"type": "text"}}}
    problems = check_tool(function(parameters=broken), ("tool",))
    assert len(problems) == 1
    assert problems[0].path[:2] == ("tool", "parameters")
    assert "not a valid JSON Schema" in problems[0].message
    assert check_tool(function(parameters={"type": "object", "required": "city"})) != []


def test_only_draft_2020_12_schemas() -> None:
    old = {**WEATHER, "$schema": "http://json-schema.org/draft-07/schema#"}
    assert paths(function(parameters=old)) == [("tool", "parameters", "$schema")]
    current = {**WEATHER, "$schema": "https://json-schema.org/draft/2020-12/schema"}
    assert check_tool(function(parameters=current)) == []


def test_a_huge_schema_is_refused() -> None:
    properties = {f"field_{i}": {"type": "string", "description": "x" * 100} for i in range(1000)}
    assert paths(function(parameters={"type": "object", "properties": properties})) == [
        ("tool", "parameters")
    ]


def test_kinds_keep_to_their_own_fields() -> None:
    assert paths(function(allowed_tools=["x"])) == [("tool", "allowedTools")]
    assert paths(mcp(parameters=WEATHER)) == [("tool", "parameters")]


def test_allowed_tools_are_tool_names_each_once() -> None:
    assert paths(mcp(allowed_tools=["ok", "not ok"])) == [("tool", "allowedTools", "1")]
    assert paths(mcp(allowed_tools=["twice", "twice"])) == [("tool", "allowedTools")]
    assert paths(mcp(allowed_tools=[f"t{i}" for i in range(129)])) == [("tool", "allowedTools")]
    assert check_tool(mcp(allowed_tools=[])) == []


def test_every_problem_is_reported_at_once() -> None:
    spec = function(name="", description="", url="http://example.com", timeout_seconds=0)
    assert paths(spec) == [
        ("tool", "name"),
        ("tool", "description"),
        ("tool", "url"),
        ("tool", "timeoutSeconds"),
    ]

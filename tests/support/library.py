"""Tool and knowledge base operations and factories for the tests."""

from typing import Any

from tests.support.client import USER_ERRORS, GraphQLClient

TOOL_FIELDS = """
  id name description kind url parameters allowedTools timeoutSeconds revision
  createdAt updatedAt
"""


def _tool_mutation(name: str, input_type: str) -> str:
    return f"""
mutation($input: {input_type}!) {{
  {name}(input: $input) {{ tool {{ {TOOL_FIELDS} }} {USER_ERRORS} }}
}}
"""


CREATE_TOOL = _tool_mutation("createTool", "ToolInput")
UPDATE_TOOL = _tool_mutation("updateTool", "UpdateToolInput")
DELETE_TOOL = f"""
mutation($input: DeleteToolInput!) {{ deleteTool(input: $input) {{ deletedId {USER_ERRORS} }} }}
"""
READ_TOOL = f"query($id: ID!) {{ tool(id: $id) {{ {TOOL_FIELDS} }} }}"
TOOLS = """
query($first: Int, $after: String, $search: String) {
  tools(first: $first, after: $after, search: $search) {
    totalCount
    edges { cursor node { id name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

WEATHER = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"$ref": "#/$defs/days"}},
    "required": ["city"],
    "$defs": {"days": {"type": "integer", "minimum": 1, "maximum": 14}},
}


def function_tool(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "get_weather",
        "description": "The forecast for a city.",
        "url": "https://tools.example.com/weather",
        "parameters": WEATHER,
        **overrides,
    }


def mcp_tool(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "crm",
        "description": "The CRM's MCP server.",
        "kind": "MCP",
        "url": "https://mcp.example.com/mcp",
        "allowedTools": ["find_contact", "log_call"],
        **overrides,
    }


async def create_tool(client: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    payload = await client.ok(CREATE_TOOL, "createTool", input=function_tool(**overrides))
    tool: dict[str, Any] = payload["tool"]
    return tool

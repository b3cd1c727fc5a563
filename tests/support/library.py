"""Tool and knowledge base operations and factories for the tests."""

import base64
from typing import Any

from bson import ObjectId

from app.platform.database import MongoDatabase
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


ATTACHED_TOOLS = """
  tools {
    channels tool { id name revision }
    definition { toolId revision name description kind url parameters allowedTools timeoutSeconds }
  }
"""
SET_TOOLS = f"""
mutation($input: SetPersonaToolsInput!) {{
  setPersonaTools(input: $input) {{
    persona {{ id revision status draft {{ {ATTACHED_TOOLS} }} }}
    {USER_ERRORS}
  }}
}}
"""
SET_KNOWLEDGE_BASES = f"""
mutation($input: SetPersonaKnowledgeBasesInput!) {{
  setPersonaKnowledgeBases(input: $input) {{
    persona {{
      id revision status
      draft {{
        knowledgeBases {{
          channels topK knowledgeBase {{ id revision }}
          definition {{ knowledgeBaseId revision name sources {{ title contentHash }} }}
        }}
      }}
    }}
    {USER_ERRORS}
  }}
}}
"""
PERSONA_TOOLS = f"""
query($id: ID!) {{
  persona(id: $id) {{
    revision status
    draft {{ {ATTACHED_TOOLS} }}
    production {{ version snapshot {{ {ATTACHED_TOOLS} }} }}
  }}
}}
"""
USED_BY = """
query($id: ID!, $first: Int, $after: String) {
  tool(id: $id) {
    usedBy(first: $first, after: $after) {
      totalCount edges { node { id } } pageInfo { hasNextPage endCursor }
    }
  }
}
"""

KNOWLEDGE_FIELDS = """
  id name description revision createdAt updatedAt
  sources { id kind title url text characters contentHash }
"""


def _knowledge_mutation(name: str, input_type: str) -> str:
    return f"""
mutation($input: {input_type}!) {{
  {name}(input: $input) {{ knowledgeBase {{ {KNOWLEDGE_FIELDS} }} {USER_ERRORS} }}
}}
"""


CREATE_KB = _knowledge_mutation("createKnowledgeBase", "KnowledgeBaseInput")
UPDATE_KB = _knowledge_mutation("updateKnowledgeBase", "UpdateKnowledgeBaseInput")
ADD_SOURCES = _knowledge_mutation("addKnowledgeSources", "AddKnowledgeSourcesInput")
REMOVE_SOURCE = _knowledge_mutation("removeKnowledgeSource", "RemoveKnowledgeSourceInput")
DELETE_KB = f"""
mutation($input: DeleteKnowledgeBaseInput!) {{
  deleteKnowledgeBase(input: $input) {{ deletedId {USER_ERRORS} }}
}}
"""
READ_KB = f"query($id: ID!) {{ knowledgeBase(id: $id) {{ {KNOWLEDGE_FIELDS} }} }}"
KNOWLEDGE_BASES = """
query($first: Int, $after: String, $search: String) {
  knowledgeBases(first: $first, after: $after, search: $search) {
    totalCount
    edges { cursor node { id name sources { title text } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
KB_USERS = """
query($id: ID!, $first: Int, $after: String) {
  knowledgeBase(id: $id) {
    usedBy(first: $first, after: $after) {
      totalCount edges { node { id } } pageInfo { hasNextPage endCursor }
    }
  }
}
"""


def attach(*tools: dict[str, Any], channels: list[str] | None = None) -> list[dict[str, Any]]:
    """setPersonaTools' list for these tools, each on `channels` (both when None)."""
    return [
        {"toolId": tool["id"], **({"channels": channels} if channels is not None else {})}
        for tool in tools
    ]


async def set_tools(
    client: GraphQLClient, persona: dict[str, Any], tools: list[dict[str, Any]]
) -> dict[str, Any]:
    """The persona after setPersonaTools at its revision, which must succeed."""
    input = {"personaId": persona["id"], "expectedRevision": persona["revision"], "tools": tools}
    payload = await client.ok(SET_TOOLS, "setPersonaTools", input=input)
    updated: dict[str, Any] = payload["persona"]
    return updated


OPENING_HOURS = "We are open from 9:00 to 17:00, Monday to Friday."


def text_source(**overrides: Any) -> dict[str, Any]:
    return {"kind": "TEXT", "title": "Opening hours", "text": OPENING_HOURS, **overrides}


def url_source(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "URL",
        "title": "Pricing",
        "url": "https://acme.example.com/pricing",
        **overrides,
    }


def knowledge_base(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Front desk FAQ",
        "description": "What callers ask most.",
        "sources": [text_source(), url_source()],
        **overrides,
    }


async def create_knowledge_base(client: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    payload = await client.ok(CREATE_KB, "createKnowledgeBase", input=knowledge_base(**overrides))
    base: dict[str, Any] = payload["knowledgeBase"]
    return base


def decoded_id(global_id: str, kind: str) -> ObjectId:
    """The database _id behind an opaque global id of `kind`."""
    padded = global_id + "=" * (-len(global_id) % 4)
    found, _, key = base64.urlsafe_b64decode(padded).decode().partition(":")
    assert found == kind, global_id
    return ObjectId(key)


async def attach_knowledge_base(
    database: MongoDatabase, persona: dict[str, Any], base: dict[str, Any]
) -> None:
    """Attach the base to the persona's draft as the stored document would have it.

    Written straight to the database: what setPersonaKnowledgeBases stores, without it.
    """
    base_id = decoded_id(base["id"], "KnowledgeBase")
    attachment = {"knowledge_base_id": base_id, "channels": ["VOICE", "CHAT"], "top_k": 5}
    result = await database["personas"].update_one(
        {"_id": decoded_id(persona["id"], "Persona")},
        {
            "$push": {
                "draft.knowledge_bases": attachment,
                "draft_knowledge_base_ids": base_id,
            }
        },
    )
    assert result.modified_count == 1

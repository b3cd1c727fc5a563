"""A small GraphQL-over-HTTP client and factories for the tests."""

from typing import Any

import httpx

VOICE_EN = {
    "locale": "en-US",
    "prompt": "You are a friendly sales agent.",
    "voiceKey": "sara-en-us-f",
    "modelKey": "gpt-4o-mini",
    "firstMessage": "Hello! How can I help?",
}

PERSONA_FIELDS = """
  id status revision createdAt updatedAt
  draft {
    name memory
    voiceConfigurations {
      locale prompt firstSpeaker firstMessage temperature maxDurationSeconds
      silenceTimeoutSeconds recording voice { key } model { key }
    }
    chatConfiguration { prompt temperature maxTokens forwardToVoice model { key } }
  }
  production { version publishedAt publishedBy note snapshot { name } }
"""

CREATE = f"""
mutation($input: CreatePersonaInput!) {{
  createPersona(input: $input) {{
    persona {{ {PERSONA_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}
"""


def voice_input(**overrides: Any) -> dict[str, Any]:
    return {**VOICE_EN, **overrides}


def chat_input(**overrides: Any) -> dict[str, Any]:
    return {"prompt": "Answer briefly.", "modelKey": "gpt-4.1", **overrides}


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def execute(self, query: str, **variables: Any) -> dict[str, Any]:
        """The whole response body; asserts the transport succeeded."""
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a response that must have no GraphQL errors."""
        body = await self.execute(query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def create_persona(self, **input: Any) -> dict[str, Any]:
        payload = (await self.data(CREATE, input={"name": "Sales", **input}))["createPersona"]
        assert payload["userErrors"] == [], payload["userErrors"]
        persona: dict[str, Any] = payload["persona"]
        return persona

"""The whole call-start answer, live and previewed, for the tests."""

from typing import Any

from tests.support.client import GraphQLClient, chat_input, publish, voice_input

ANSWER = """
  personaId version environment rolloutArm resolutionId channel requestedLocale
  prompt firstMessage variables ignoredVariables
  voice { locale } chat { prompt }
  tools { toolId revision name description }
  knowledgeBases { channels topK definition { knowledgeBaseId revision name sources { title } }
                   knowledgeBase { id revision } }
"""
CALL_START = f"""
query($id: ID!, $channel: Channel!, $locale: Locale, $environment: String,
      $contactId: String, $variables: JSON) {{
  liveConfiguration(personaId: $id, channel: $channel, locale: $locale,
                    environment: $environment, contactId: $contactId, variables: $variables) {{
    {ANSWER}
  }}
}}
"""
PREVIEW = f"""
query($id: ID!, $channel: Channel!, $locale: Locale, $environment: String,
      $contactId: String, $variables: JSON) {{
  persona(id: $id) {{
    preview(channel: $channel, locale: $locale, environment: $environment,
            contactId: $contactId, variables: $variables) {{ {ANSWER} }}
  }}
}}
"""
READINESS = """
query($id: ID!) {
  persona(id: $id) {
    readiness { publishable problems { field code message } warnings { field code message } }
  }
}
"""

GREETING = "Hi {{ customer_name | default: 'there' }}, this is {{ persona_name }}."
PROMPT = (
    "You speak {{ locale }} on {{ channel }} in {{ environment }}."
    "{% if vip %} Treat them as a VIP.{% endif %} Plan: {{ plan }}. Seats: {{ seats }}."
)
VARIABLES: list[dict[str, Any]] = [
    {"name": "customer_name"},
    {"name": "vip", "type": "BOOLEAN", "defaultValue": False},
    {"name": "plan", "required": True},
    {"name": "seats", "type": "NUMBER", "defaultValue": 3},
]


async def templated_persona(api: GraphQLClient, **input: Any) -> dict[str, Any]:
    """A published persona whose voice and chat prompts use variables and built-ins."""
    persona = await api.create_persona(
        name="Front desk",
        voiceConfigurations=[voice_input(prompt=PROMPT, firstMessage=GREETING)],
        chatConfiguration=chat_input(prompt="Chat about {{ plan }} for {{ persona_name }}."),
        variables=VARIABLES,
        **input,
    )
    published = await publish(api, persona)
    assert published["userErrors"] == [], published["userErrors"]
    found: dict[str, Any] = published["persona"]
    return found


async def call_start(api: GraphQLClient, persona: dict[str, Any], **variables: Any) -> Any:
    """The whole response body of a liveConfiguration call, errors included."""
    arguments = {"channel": "VOICE", **variables}
    return await api.execute(CALL_START, id=persona["id"], **arguments)

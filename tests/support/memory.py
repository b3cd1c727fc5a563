"""Contact memory for the tests: a persona that remembers, records, recalls and erasures."""

from typing import Any

from tests.support.client import USER_ERRORS, GraphQLClient, mutate, publish, voice_input

CONVERSATION_FIELDS = "id personaId version channel resolutionId summary endedAt expiresAt"
MEMORY_FIELDS = f"contactId scope facts conversations {{ {CONVERSATION_FIELDS} }}"
RECEIPT_FIELDS = "id contactIdSha256 personaId conversationsDeleted factsDeleted erasedAt erasedBy"
RECORD = f"""
mutation($input: RecordConversationInput!) {{
  recordConversation(input: $input) {{ conversation {{ {CONVERSATION_FIELDS} }} {USER_ERRORS} }}
}}
"""
FORGET = f"""
mutation($input: ForgetContactInput!) {{
  forgetContact(input: $input) {{ receipt {{ {RECEIPT_FIELDS} }} {USER_ERRORS} }}
}}
"""
CONTACT_MEMORY = f"""
query($contactId: String!, $personaId: ID!) {{
  contactMemory(contactId: $contactId, personaId: $personaId) {{ {MEMORY_FIELDS} }}
}}
"""
RECEIPTS = f"""
query($first: Int, $after: String) {{
  erasureReceipts(first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {RECEIPT_FIELDS} }} }}
  }}
}}
"""
REMEMBERING = (
    "{% if contact_memory.conversations.size > 0 %}Welcome back. Last time: "
    "{{ contact_memory.conversations.first.summary }}.{% endif %}"
    " Name: {{ contact_memory.facts.first_name | default: 'unknown' }}."
)
LIVE_MEMORY = f"""
query($id: ID!, $contactId: String, $channel: Channel! = VOICE) {{
  liveConfiguration(personaId: $id, channel: $channel, contactId: $contactId) {{
    version prompt variables contactMemory {{ {MEMORY_FIELDS} }}
  }}
}}
"""


async def remembering_persona(
    api: GraphQLClient, policy: dict[str, Any] | None = None, **input: Any
) -> dict[str, Any]:
    """A published persona with memory on whose voice prompt tells what it remembers."""
    fields: dict[str, Any] = {
        "name": "Front desk",
        "memory": True,
        "voiceConfigurations": [voice_input(prompt=REMEMBERING)],
        **input,
    }
    persona = await api.create_persona(**fields)
    if policy is not None:
        from tests.support.memory_policy import set_policy

        changed = await set_policy(api, persona, policy)
        assert changed["userErrors"] == [], changed["userErrors"]
        persona = changed["persona"]
    published = await publish(api, persona)
    assert published["userErrors"] == [], published["userErrors"]
    found: dict[str, Any] = published["persona"]
    return found


def record_input(persona: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "personaId": persona["id"],
        "version": persona["production"]["version"],
        "channel": "VOICE",
        "contactId": "+15550100",
        "summary": "Asked about the premium plan.",
        **fields,
    }


async def record(api: GraphQLClient, persona: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """recordConversation's payload."""
    return await mutate(api, RECORD, **record_input(persona, **fields))


async def recorded(api: GraphQLClient, persona: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The conversation of a record that must succeed."""
    payload = await record(api, persona, **fields)
    assert payload["userErrors"] == [], payload["userErrors"]
    conversation: dict[str, Any] = payload["conversation"]
    return conversation


async def forget(api: GraphQLClient, contact_id: str, persona_id: str | None = None) -> Any:
    return await mutate(api, FORGET, contactId=contact_id, personaId=persona_id)


async def live_memory(
    api: GraphQLClient, persona: dict[str, Any], contact_id: str | None = "+15550100", **more: Any
) -> dict[str, Any]:
    """The whole response body of a call start asking for the contact's memory."""
    return await api.execute(LIVE_MEMORY, id=persona["id"], contactId=contact_id, **more)


async def memory_of(api: GraphQLClient, persona: dict[str, Any], contact_id: str) -> Any:
    data = await api.data(CONTACT_MEMORY, contactId=contact_id, personaId=persona["id"])
    return data["contactMemory"]


async def memory_operations(api: GraphQLClient) -> None:
    """Every memory operation once, for the checks that watch what the database is sent."""
    from datetime import UTC, datetime, timedelta

    from app.memory.retention import sweep, take_turn
    from tests.support.client import DELETE

    persona = await remembering_persona(api, name="Remembers")
    shared = await remembering_persona(api, policy={"scope": "WORKSPACE"}, name="Shares")
    await recorded(api, persona, facts={"first_name": "Dana"}, idempotencyKey="call-1")
    await record(api, persona, idempotencyKey="call-1")  # the retry
    await recorded(api, shared, facts={"first_name": None})
    await live_memory(api, persona)
    await memory_of(api, shared, "+15550100")
    await forget(api, "+15550100", persona["id"])
    await forget(api, "+15550100", shared["id"])
    receipt = (await forget(api, "+15550100"))["receipt"]
    page = (await api.data(RECEIPTS, first=1))["erasureReceipts"]
    await api.data(RECEIPTS, first=1, after=page["pageInfo"]["endCursor"])
    await api.data("query($id: ID!) { node(id: $id) { id } }", id=receipt["id"])
    now = datetime.now(UTC)
    await take_turn(now, timedelta(minutes=1))
    await sweep(now + timedelta(days=400))
    await mutate(api, DELETE, id=persona["id"])

"""Contact memory is personal data: only RUNTIME and ADMIN keys read it, in an answer or in a
rendered prompt; other roles get a FORBIDDEN field error and the rest of the answer."""

import pytest

from app.access.principal import Role
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient
from tests.support.memory import (
    CONTACT_MEMORY,
    MEMORY_FIELDS,
    live_memory,
    recorded,
    remembering_persona,
)

LADDER_BELOW_ADMIN = [Role.VIEWER, Role.EDITOR, Role.PUBLISHER]
PREVIEW_MEMORY = f"""
query($id: ID!, $contactId: String) {{
  persona(id: $id) {{
    preview(channel: VOICE, contactId: $contactId) {{ prompt contactMemory {{ {MEMORY_FIELDS} }} }}
  }}
}}
"""
PREVIEW_PROMPT = """
query($id: ID!, $contactId: String) {
  persona(id: $id) { preview(channel: VOICE, contactId: $contactId) { prompt } }
}
"""
LIVE_PROMPT = """
query($id: ID!, $contactId: String) {
  liveConfiguration(personaId: $id, channel: VOICE, contactId: $contactId) { version prompt }
}
"""


@pytest.mark.parametrize("role", LADDER_BELOW_ADMIN, ids=str)
async def test_other_roles_get_a_forbidden_field_and_the_rest_of_the_answer(
    api: GraphQLClient, client_for: ClientFactory, role: Role
) -> None:
    persona = await remembering_persona(api)
    await recorded(api, persona, facts={"first_name": "Dana"})
    reader = await client_for(role)

    body = await live_memory(reader, persona)

    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"] == ["liveConfiguration", "contactMemory"]
    assert "+15550100" not in error["message"]
    live = body["data"]["liveConfiguration"]
    assert live["contactMemory"] is None
    assert live["version"] == 1
    # Nor does the prompt tell what is remembered.
    assert live["prompt"] == " Name: unknown."


@pytest.mark.parametrize("role", LADDER_BELOW_ADMIN, ids=str)
async def test_other_roles_get_prompts_without_memory_even_unasked(
    api: GraphQLClient, client_for: ClientFactory, role: Role
) -> None:
    persona = await remembering_persona(api)
    await recorded(api, persona, facts={"first_name": "Dana"})
    reader = await client_for(role)

    live = await reader.data(LIVE_PROMPT, id=persona["id"], contactId="+15550100")
    preview = await reader.data(PREVIEW_PROMPT, id=persona["id"], contactId="+15550100")

    assert live["liveConfiguration"]["prompt"] == " Name: unknown."
    assert preview["persona"]["preview"]["prompt"] == " Name: unknown."


@pytest.mark.parametrize("role", LADDER_BELOW_ADMIN, ids=str)
async def test_other_roles_may_not_query_contact_memory(
    api: GraphQLClient, client_for: ClientFactory, role: Role
) -> None:
    persona = await remembering_persona(api)
    await recorded(api, persona)
    reader = await client_for(role)

    body = await reader.execute(CONTACT_MEMORY, contactId="+15550100", personaId=persona["id"])

    assert body["data"] == {"contactMemory": None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"


async def test_runtime_and_admin_read_memory(api: GraphQLClient, client_for: ClientFactory) -> None:
    persona = await remembering_persona(api)
    await recorded(api, persona, facts={"first_name": "Dana"})
    runtime = await client_for(Role.RUNTIME)
    for reader in (runtime, api):
        live = await reader.data(LIVE_PROMPT, id=persona["id"], contactId="+15550100")
        assert live["liveConfiguration"]["prompt"].endswith("Name: Dana.")
        queried = await reader.data(CONTACT_MEMORY, contactId="+15550100", personaId=persona["id"])
        assert queried["contactMemory"]["facts"] == {"first_name": "Dana"}


async def test_an_admin_preview_reads_the_drafts_memory_space(api: GraphQLClient) -> None:
    persona = await remembering_persona(api)
    await recorded(api, persona, facts={"first_name": "Dana"})

    preview = (await api.data(PREVIEW_MEMORY, id=persona["id"], contactId="+15550100"))["persona"][
        "preview"
    ]

    assert preview["prompt"].endswith("Name: Dana.")
    assert preview["contactMemory"]["facts"] == {"first_name": "Dana"}


async def test_a_runtime_key_may_not_preview(api: GraphQLClient, client_for: ClientFactory) -> None:
    persona = await remembering_persona(api)
    runtime = await client_for(Role.RUNTIME)

    body = await runtime.execute(PREVIEW_PROMPT, id=persona["id"], contactId="+15550100")

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

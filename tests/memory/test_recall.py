"""The runtime's loop: a call start, a record, the next call start remembers."""

from app.access.principal import Role
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient
from tests.support.memory import live_memory, recorded, remembering_persona


async def test_the_next_call_start_remembers_what_was_recorded(
    api: GraphQLClient, client_for: ClientFactory
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)
    first = (await live_memory(runtime, persona))["data"]["liveConfiguration"]
    assert first["contactMemory"] == {
        "contactId": "+15550100",
        "scope": "PERSONA",
        "facts": {},
        "conversations": [],
    }
    assert first["prompt"] == " Name: unknown."
    conversation = await recorded(runtime, persona, facts={"first_name": "Dana"})
    second = (await live_memory(runtime, persona))["data"]["liveConfiguration"]
    assert second["prompt"] == (
        "Welcome back. Last time: Asked about the premium plan.. Name: Dana."
    )
    memory = second["contactMemory"]
    assert memory["facts"] == {"first_name": "Dana"}
    assert [c["id"] for c in memory["conversations"]] == [conversation["id"]]
    assert "contact_memory" not in second["variables"]

"""The runtime's loop: a call start, a record, the next call start remembers, in the memory
space of the version it resolves to, newest first and no more than the policy recalls."""

from datetime import datetime, timedelta
from typing import Any

from starlette.applications import Starlette

from app.access.principal import Role
from tests.conftest import ClientFactory, CommandLog
from tests.support.client import GraphQLClient, chat_input, publish
from tests.support.memory import (
    live_memory,
    memory_of,
    recorded,
    remembering_persona,
)
from tests.support.memory_policy import set_policy


def _live(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    live: dict[str, Any] = body["data"]["liveConfiguration"]
    return live


async def test_the_next_call_start_remembers_what_was_recorded(
    api: GraphQLClient, client_for: ClientFactory
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)
    first = _live(await live_memory(runtime, persona))
    assert first["contactMemory"] == {
        "contactId": "+15550100",
        "scope": "PERSONA",
        "facts": {},
        "conversations": [],
    }
    assert first["prompt"] == " Name: unknown."
    conversation = await recorded(runtime, persona, facts={"first_name": "Dana"})
    second = _live(await live_memory(runtime, persona))
    assert second["prompt"] == (
        "Welcome back. Last time: Asked about the premium plan.. Name: Dana."
    )
    memory = second["contactMemory"]
    assert memory["facts"] == {"first_name": "Dana"}
    assert [c["id"] for c in memory["conversations"]] == [conversation["id"]]
    assert "contact_memory" not in second["variables"]
    assert await memory_of(runtime, persona, "+15550100") == memory


async def test_a_call_start_gets_the_newest_conversations_up_to_the_policy(
    api: GraphQLClient,
) -> None:
    persona = await remembering_persona(api, policy={"recallConversations": 3})
    published_at = persona["production"]["publishedAt"]
    # Recorded out of order: recall orders by when each conversation ended.
    for step in [4, 1, 5, 2, 3]:
        await recorded(api, persona, summary=f"call {step}", endedAt=_after(published_at, step))
    memory = _live(await live_memory(api, persona))["contactMemory"]
    newest = ["call 5", "call 4", "call 3"]
    assert [c["summary"] for c in memory["conversations"]] == newest
    queried = await memory_of(api, persona, "+15550100")
    assert [c["summary"] for c in queried["conversations"]] == newest


def _after(published_at: str, milliseconds: int) -> str:
    moment = datetime.fromisoformat(published_at.replace("Z", "+00:00"))
    return (moment + timedelta(milliseconds=milliseconds)).isoformat()


async def test_recalling_no_conversations_still_gives_the_facts(api: GraphQLClient) -> None:
    persona = await remembering_persona(api, policy={"recallConversations": 0})
    await recorded(api, persona, facts={"plan": "premium", "seats": 4, "vip": True})
    memory = _live(await live_memory(api, persona))["contactMemory"]
    assert memory["conversations"] == []
    assert memory["facts"] == {"plan": "premium", "seats": 4, "vip": True}


async def test_no_memory_without_a_contact_or_with_memory_off(api: GraphQLClient) -> None:
    persona = await remembering_persona(api)
    await recorded(api, persona, facts={"first_name": "Dana"})
    anonymous = _live(await live_memory(api, persona, contact_id=None))
    assert anonymous["contactMemory"] is None
    assert anonymous["prompt"] == " Name: unknown."
    forgetful = await remembering_persona(api, memory=False, name="Forgetful")
    off = _live(await live_memory(api, forgetful))
    assert off["contactMemory"] is None
    assert off["prompt"] == " Name: unknown."
    assert await memory_of(api, forgetful, "+15550100") is None


async def test_persona_scoped_memories_are_apart_and_workspace_scoped_ones_shared(
    api: GraphQLClient,
) -> None:
    shared = {"scope": "WORKSPACE"}
    sales = await remembering_persona(api, policy=shared, name="Sales")
    support = await remembering_persona(api, policy=shared, name="Support")
    own = await remembering_persona(api, name="Own")
    await recorded(api, sales, facts={"first_name": "Dana"})
    seen = _live(await live_memory(api, support))["contactMemory"]
    assert seen["scope"] == "WORKSPACE"
    assert seen["facts"] == {"first_name": "Dana"}
    assert [c["personaId"] for c in seen["conversations"]] == [sales["id"]]
    assert _live(await live_memory(api, own))["contactMemory"]["facts"] == {}
    await recorded(api, own, facts={"first_name": "Robin"})
    assert _live(await live_memory(api, sales))["contactMemory"]["facts"] == {"first_name": "Dana"}


async def test_each_version_records_and_recalls_in_its_own_policys_space(
    api: GraphQLClient,
) -> None:
    persona = await remembering_persona(api)
    await recorded(api, persona, summary="On version 1.")
    changed = await set_policy(api, persona, {"scope": "WORKSPACE"})
    second = await publish(api, changed["persona"])
    assert second["userErrors"] == []
    v2 = second["persona"]
    # Version 2 recalls from the shared space, which holds nothing yet.
    assert _live(await live_memory(api, v2))["contactMemory"]["conversations"] == []
    # A record of version 1's call still goes where version 1 keeps memory.
    await recorded(api, v2, version=1, summary="Late record of version 1.")
    assert _live(await live_memory(api, v2))["contactMemory"]["conversations"] == []
    await recorded(api, v2, summary="On version 2.")
    recalled = _live(await live_memory(api, v2))["contactMemory"]["conversations"]
    assert [c["summary"] for c in recalled] == ["On version 2."]
    assert [c["version"] for c in recalled] == [2]


async def test_chat_conversations_are_told_as_chat(api: GraphQLClient) -> None:
    prompt = (
        "{% for c in contact_memory.conversations %}{{ c.channel }}: {{ c.summary }} {% endfor %}"
    )
    persona = await remembering_persona(api, chatConfiguration=chat_input(prompt=prompt))
    await recorded(api, persona, channel="CHAT", summary="Wrote on WhatsApp.")
    await recorded(api, persona, channel="VOICE", summary="Called.")
    live = _live(await live_memory(api, persona, channel="CHAT"))
    assert live["prompt"] == "voice: Called. chat: Wrote on WhatsApp. "


async def test_a_call_start_reads_memory_in_one_indexed_query(
    app: Starlette, api: GraphQLClient, client_for: ClientFactory, command_log: CommandLog
) -> None:
    async with app.router.lifespan_context(app):  # with the production cache
        await _one_memory_read(api, await client_for(Role.RUNTIME), command_log)


async def _one_memory_read(
    api: GraphQLClient, runtime: GraphQLClient, command_log: CommandLog
) -> None:
    persona = await remembering_persona(api)
    for step in range(8):
        await recorded(api, persona, summary=f"call {step}", facts={f"fact_{step}": step})
    _live(await live_memory(runtime, persona))  # production is in the process's cache now
    sent = len(command_log.targets)

    memory = _live(await live_memory(runtime, persona))["contactMemory"]

    assert command_log.targets[sent:] == [("find", "contacts")]
    assert len(memory["conversations"]) == 5
    assert len(memory["facts"]) == 8

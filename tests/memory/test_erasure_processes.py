"""Erasure across processes: once forgetContact has answered on one `serve`, another serving
the same database gives that contact's memory to no call start, without waiting."""

from pathlib import Path
from typing import Any

from app.platform.embedded import EmbeddedDatabase
from tests.support.client import CREATE, CREATE_KEY, PUBLISH, voice_input
from tests.support.erasure import CONTACT, OTHER_CONTACT, post_as, sha256
from tests.support.memory import (
    CONTACT_MEMORY,
    FORGET,
    LIVE_MEMORY,
    RECORD,
    REMEMBERING,
)
from tests.support.memory_policy import SET_POLICY
from tests.support.processes import Server, serving_two


async def _data(server: Server, key: str, query: str, **variables: Any) -> dict[str, Any]:
    body = await post_as(server, key, query, **variables)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def _payload(server: Server, key: str, query: str, **input: Any) -> dict[str, Any]:
    (payload,) = (await _data(server, key, query, input=input)).values()
    assert payload["userErrors"] == [], payload["userErrors"]
    return dict(payload)


async def _published(server: Server, name: str, scope: str) -> dict[str, Any]:
    """A persona with memory on, published in `scope`, made through `server`."""
    key = server.key
    voice = voice_input(prompt=REMEMBERING)
    created = await _payload(
        server, key, CREATE, name=name, memory=True, voiceConfigurations=[voice]
    )
    persona = created["persona"]
    policy = {"scope": scope}
    changed = await _payload(
        server,
        key,
        SET_POLICY,
        personaId=persona["id"],
        expectedRevision=persona["revision"],
        policy=policy,
    )
    revision = changed["persona"]["revision"]
    published = await _payload(
        server, key, PUBLISH, personaId=persona["id"], expectedRevision=revision
    )
    found: dict[str, Any] = published["persona"]
    return found


async def _record(
    server: Server, key: str, persona: dict[str, Any], contact_id: str, **facts: Any
) -> None:
    await _payload(
        server,
        key,
        RECORD,
        personaId=persona["id"],
        version=persona["production"]["version"],
        channel="VOICE",
        contactId=contact_id,
        summary="Asked to move the delivery.",
        facts=facts,
    )


async def _seen(server: Server, key: str, persona: dict[str, Any], contact_id: str) -> Any:
    """(the call start's prompt and memory, contactMemory) on `server`."""
    live = (await _data(server, key, LIVE_MEMORY, id=persona["id"], contactId=contact_id))[
        "liveConfiguration"
    ]
    read = await _data(server, key, CONTACT_MEMORY, contactId=contact_id, personaId=persona["id"])
    memory = live["contactMemory"]
    assert read["contactMemory"] == memory
    return live["prompt"], memory["facts"], len(memory["conversations"])


async def test_after_forget_contact_answers_no_other_process_serves_that_memory(
    tmp_path: Path, mongo_server: EmbeddedDatabase
) -> None:
    with serving_two(tmp_path, mongo_server.uri) as (first, second):
        admin = first.key
        made = await _payload(first, admin, CREATE_KEY, name="voice agent", role="RUNTIME")
        runtime = made["key"]
        sales = await _published(first, "Sales", "PERSONA")
        concierge = await _published(first, "Concierge", "WORKSPACE")
        for persona in (sales, concierge):
            await _record(first, runtime, persona, CONTACT, first_name="Dana")
        await _record(first, runtime, sales, OTHER_CONTACT, first_name="Sam")

        remembered = "Welcome back. Last time: Asked to move the delivery.. Name: Dana."
        for persona in (sales, concierge):  # read, and so cached wherever it may be, on B
            for _ in range(2):
                seen = await _seen(second, runtime, persona, CONTACT)
                assert seen == (remembered, {"first_name": "Dana"}, 1)

        forgotten = await _data(first, admin, FORGET, input={"contactId": CONTACT})
        receipt = forgotten["forgetContact"]["receipt"]
        assert receipt["conversationsDeleted"] == 2
        assert receipt["contactIdSha256"] == sha256(CONTACT)

        # At once, with no wait: the other process, with either key, serves nothing of it.
        for key in (runtime, admin):
            for persona in (sales, concierge):
                assert await _seen(second, key, persona, CONTACT) == (" Name: unknown.", {}, 0)
        assert await _seen(second, runtime, sales, OTHER_CONTACT) == (
            "Welcome back. Last time: Asked to move the delivery.. Name: Sam.",
            {"first_name": "Sam"},
            1,
        )
        logged = "\n".join(first.lines + second.lines)
    assert "/graphql" in logged  # every request was logged, and none told the contact
    for secret in (CONTACT, OTHER_CONTACT, "Asked to move", "Dana"):
        assert secret not in logged

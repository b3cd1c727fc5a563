"""The README's runtime loop runs as written: call start, record, the next call start
remembers, forget."""

from pathlib import Path
from typing import Any

from app.access.principal import Role
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient, publish
from tests.support.readme import graphql_blocks

SECTION = "## Contact memory: the runtime's loop"


async def test_the_runtime_loop_works_as_written(
    api: GraphQLClient, client_for: ClientFactory, repo_root: Path
) -> None:
    create, call, record, forget = graphql_blocks(repo_root, SECTION)
    runtime = await client_for(Role.RUNTIME)
    created = (await api.data(create))["createPersona"]
    assert created["userErrors"] == []
    assert (await publish(api, created["persona"]))["userErrors"] == []
    call = call.replace("<persona id>", created["persona"]["id"])

    async def call_start() -> dict[str, Any]:
        answer: dict[str, Any] = (await runtime.data(call))["liveConfiguration"]
        return answer

    first = await call_start()
    assert first["contactMemory"] == {"facts": {}, "conversations": []}
    assert (first["prompt"], first["firstMessage"]) == ("", "Hello there!")
    recorded = await runtime.data(record.replace("<persona id>", created["persona"]["id"]))
    assert recorded["recordConversation"]["userErrors"] == []

    second = await call_start()
    assert second["prompt"] == "Welcome back. Last time: Booked a cleaning for Tuesday."
    assert second["firstMessage"] == "Hello Ada!"
    assert second["contactMemory"]["facts"] == {"first_name": "Ada", "plan": "basic"}
    receipt = (await api.data(forget))["forgetContact"]["receipt"]
    assert (receipt["conversationsDeleted"], receipt["factsDeleted"]) == (1, 2)

    assert (await call_start())["contactMemory"] == {"facts": {}, "conversations": []}

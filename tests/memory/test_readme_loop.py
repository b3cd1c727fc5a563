"""The README's runtime loop runs as written: call start, record, the next call start
remembers, forget."""

import re
from pathlib import Path
from typing import Any

from app.access.principal import Role
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient, publish

SECTION = "## Contact memory: the runtime's loop"


def _blocks(readme: str) -> list[str]:
    start = readme.index(SECTION)
    end = readme.index("\n## ", start + len(SECTION))
    return re.findall(r"```graphql\n(.*?)```", readme[start:end], flags=re.S)


async def test_the_runtime_loop_works_as_written(
    api: GraphQLClient, client_for: ClientFactory, repo_root: Path
) -> None:
    create, call, record, forget = _blocks((repo_root / "README.md").read_text(encoding="utf-8"))
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

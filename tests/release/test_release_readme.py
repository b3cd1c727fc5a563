"""The README's release walk-through runs as written: staging, 10%, 100%, a scheduled publish."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from tests.conftest import ClientFactory
from tests.support.client import UPDATE, GraphQLClient, voice_input
from tests.support.readme import graphql_blocks

SECTION = "## Releases: staging, a 10% rollout, 100%, and a scheduled publish"
CLINIC = [{"name": "clinic", "type": "STRING", "defaultValue": "Smile Dental"}]
SCHEDULES = """
query($id: ID!) { persona(id: $id) { scheduledPublishes { status version { version } } } }
"""
LIVE = """
query($id: ID!) { liveConfiguration(personaId: $id, channel: VOICE) { version prompt } }
"""


def _filled(block: str, persona_id: str, **more: str) -> str:
    block = block.replace("<persona id>", persona_id)
    for name, value in more.items():
        block = block.replace(f"<{name}>", value)
    return block


async def _ok(api: GraphQLClient, block: str, field: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await api.data(block))[field]
    assert payload["userErrors"] == [], payload
    return payload


async def _rename(api: GraphQLClient, persona: dict[str, Any], revision: int, name: str) -> None:
    renamed = {"id": persona["id"], "expectedRevision": revision, "name": name}
    assert (await api.data(UPDATE, input=renamed))["updatePersona"]["userErrors"] == []


async def test_the_release_walk_through_works_as_written(
    app: Starlette, client_for: ClientFactory, repo_root: Path
) -> None:
    blocks = graphql_blocks(repo_root, SECTION)
    environment, publish, live, deploy, rollout, widen, complete, schedule = blocks
    async with app.router.lifespan_context(app):  # the scheduler runs in the lifespan
        api = await client_for()
        persona = await api.create_persona(
            name="Front desk",
            variables=CLINIC,
            voiceConfigurations=[voice_input(prompt="You answer calls for {{ clinic }}.")],
        )
        pid = persona["id"]
        created = await _ok(api, environment, "createEnvironment")
        assert created["environment"]["variables"] == {"clinic": "Test Clinic"}

        await _ok(api, _filled(publish, pid), "publishPersona")
        staged = (await api.data(_filled(live, pid)))["liveConfiguration"]
        assert staged["environment"] == "staging"
        assert staged["prompt"] == "You answer calls for Test Clinic."
        assert (await api.data(LIVE, id=pid))["liveConfiguration"] is None

        deployed = await _ok(api, _filled(deploy, pid), "deployPersonaVersion")
        assert deployed["deployment"]["version"]["version"] == 1
        production = (await api.data(LIVE, id=pid))["liveConfiguration"]
        assert production == {"version": 1, "prompt": "You answer calls for Smile Dental."}

        await _rename(api, persona, 1, "Front desk v2")
        second = publish.replace("expectedRevision: 1", "expectedRevision: 2")
        await _ok(api, _filled(second, pid), "publishPersona")
        started = await _ok(api, _filled(rollout, pid), "startRollout")
        assert started["deployment"]["rollout"] == {"candidate": {"version": 2}, "percent": 10}
        await _ok(api, _filled(widen, pid), "setRolloutPercent")
        completed = await _ok(api, _filled(complete, pid), "completeRollout")
        assert completed["deployment"] == {"version": {"version": 2}, "rollout": None}

        await _rename(api, persona, 2, "Front desk v3")
        at = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
        scheduled = await _ok(api, _filled(schedule, pid, at=at), "schedulePublish")
        assert scheduled["scheduledPublish"]["status"] == "PENDING"
        assert scheduled["scheduledPublish"]["snapshot"]["name"] == "Front desk v3"
        for _ in range(100):  # due in 2 s, run within 2 s of it: 10 s is far enough
            found = (await api.data(SCHEDULES, id=pid))["persona"]["scheduledPublishes"]
            if found[0]["status"] != "PENDING":
                break
            await asyncio.sleep(0.1)
        assert found == [{"status": "DONE", "version": {"version": 3}}]
        assert (await api.data(LIVE, id=pid))["liveConfiguration"]["version"] == 3

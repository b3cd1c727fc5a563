"""Databases from before environments: a published persona gets its production deployment."""

from typing import Any

from app.release.documents import Deployment
from app.server.backfill import DEPLOYMENTS_MARKER, backfill
from tests.support.client import UPDATE, GraphQLClient, publish, versions_of, voice_input

LIVE = """
query($id: ID!) { liveConfiguration(personaId: $id, channel: VOICE) { version environment } }
"""


async def _as_before_environments(database: Any) -> None:
    """What a database written before deployments existed looks like."""
    await database[Deployment.get_collection_name()].delete_many({})
    await database["migrations"].delete_one(DEPLOYMENTS_MARKER)
    await database["personas"].update_many({}, {"$unset": {"latest_version": ""}})


async def test_a_persona_published_before_environments_is_deployed_to_production(
    api: GraphQLClient, database: Any
) -> None:
    persona = await api.create_persona(name="Old", voiceConfigurations=[voice_input()])
    await publish(api, persona)
    await _as_before_environments(database)
    assert (await api.data(LIVE, id=persona["id"]))["liveConfiguration"] is None

    await backfill(database)

    rows = await database[Deployment.get_collection_name()].find({}).to_list()
    assert [(row["environment"], row["version"], row["serial"]) for row in rows] == [
        ("production", 1, 1)
    ]
    live = (await api.data(LIVE, id=persona["id"]))["liveConfiguration"]
    assert live == {"version": 1, "environment": "production"}


async def test_publishes_after_the_backfill_go_on_from_the_deployment(
    api: GraphQLClient, database: Any
) -> None:
    persona = await api.create_persona(name="Old", voiceConfigurations=[voice_input()])
    await publish(api, persona)
    await _as_before_environments(database)
    await backfill(database)
    await backfill(database)  # a second start, or a second process, adds nothing
    renamed = {"id": persona["id"], "expectedRevision": 1, "name": "Older"}
    await api.ok(UPDATE, "updatePersona", input=renamed)

    assert (await publish(api, persona, revision=2))["userErrors"] == []

    rows = await database[Deployment.get_collection_name()].find({}).to_list()
    assert [(row["version"], row["serial"], row["replaced"]) for row in rows] == [(2, 2, 1)]
    assert await versions_of(database, persona["id"]) == [1, 2]

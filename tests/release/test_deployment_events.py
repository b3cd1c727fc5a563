"""deploymentChanged over a real websocket: one event per change of what an environment
serves, filtered, scoped to the workspace, ended with its environment; personaPublished
telling the environment."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from beanie import PydanticObjectId
from starlette.applications import Starlette

from app.access.keys import issue_key, workspace_named
from app.access.principal import Principal, Role
from app.platform.database import MongoDatabase, connect
from app.platform.embedded import EmbeddedDatabase
from app.platform.settings import Settings
from app.release import promotion, publishing, rollouts
from app.release.documents import DeploymentChange, Environment
from app.release.events import EventHub
from app.server.asgi import create_app
from app.server.models import bind_all
from tests.conftest import ClientFactory
from tests.support.client import (
    CREATE,
    PUBLISH,
    ROLLBACK,
    UPDATE,
    GraphQLClient,
    object_id,
    publish,
    voice_input,
)
from tests.support.deployment_events import (
    BOUND_SECONDS,
    CHANGES,
    PUBLISHES,
    environment_named,
    events,
    receive,
    remove_environment,
    standalone_database,
    step,
    subscribed,
)
from tests.support.inprocess import stock_uvicorn
from tests.support.processes import graphql_async, serving, serving_two
from tests.support.variables import SET_VARIABLES, variable
from tests.support.ws import GraphQLWebSocket, graphql_ws


@pytest.fixture
async def url(app: Starlette) -> AsyncIterator[str]:
    """The app served on a port, its lifespan (and so its change stream) running."""
    async with stock_uvicorn(app) as served:
        yield f"{served}/graphql"


def _id(persona: dict[str, Any]) -> PydanticObjectId:
    return PydanticObjectId(object_id(persona["id"]))


def hub_of(app: Starlette) -> EventHub:
    hub: EventHub = app.state.events
    return hub


async def _persona(api: GraphQLClient, name: str = "Sales") -> dict[str, Any]:
    return await api.create_persona(name=name, voiceConfigurations=[voice_input()])


async def _edit(api: GraphQLClient, persona: dict[str, Any], name: str) -> dict[str, Any]:
    edit = {"id": persona["id"], "expectedRevision": persona["revision"], "name": name}
    edited: dict[str, Any] = (await api.data(UPDATE, input=edit))["updatePersona"]["persona"]
    return edited


async def test_every_change_is_one_event_as_it_left_the_deployment(
    app: Starlette, url: str, api: GraphQLClient
) -> None:
    actor = api.principal
    await environment_named(actor.workspace_id, "staging")
    persona = await _persona(api)
    pid = _id(persona)
    async with graphql_ws(url, api.key) as socket:
        await socket.subscribe("changes", CHANGES, personaId=persona["id"])
        await socket.subscribe("publishes", PUBLISHES, personaId=persona["id"])
        await subscribed(hub_of(app), 2)

        await publish(api, persona)  # v1 to production
        persona = await _edit(api, persona, "Sales 2")
        await publishing.publish_persona(actor, pid, persona["revision"], "try", "staging")  # v2
        await promotion.deploy_persona_version(actor, pid, 2, "production", "promote")
        await rollouts.start_rollout(actor, pid, "production", 1, 10, "canary")
        await rollouts.set_rollout_percent(actor, pid, "production", 50)
        await rollouts.complete_rollout(actor, pid, "production")
        await rollouts.start_rollout(actor, pid, "production", 2, 20, None)
        await rollouts.abort_rollout(actor, pid, "production")
        await publishing.rollback_persona(actor, pid, 1, "undo", "staging")  # v3

        received = await events(socket, 9 + 3)
    changes = received["changes"]
    assert [step(event) for event in changes] == [
        ("PUBLISHED", "production", 1, None),
        ("PUBLISHED", "staging", 2, None),
        ("DEPLOYED", "production", 2, None),
        ("ROLLOUT_STARTED", "production", 2, (10, 1)),
        ("ROLLOUT_CHANGED", "production", 2, (50, 1)),
        ("ROLLOUT_COMPLETED", "production", 1, None),  # and no DEPLOYED with it
        ("ROLLOUT_STARTED", "production", 1, (20, 2)),
        ("ROLLOUT_ABORTED", "production", 1, None),
        ("ROLLED_BACK", "staging", 3, None),
    ]
    assert {event["persona"]["id"] for event in changes} == {persona["id"]}
    assert {event["deployment"]["environment"] for event in changes} == {"production", "staging"}
    assert {event["deployment"]["deployedBy"] for event in changes} == {actor.name}
    # eventId is the recorded change's id: unique, and what a reconnecting client matches.
    recorded = await DeploymentChange.get_pymongo_collection().find({"persona_id": pid}).to_list()
    assert [event["eventId"] for event in changes] == [str(row["_id"]) for row in recorded]
    assert len({event["eventId"] for event in changes}) == 9

    publishes = received["publishes"]
    assert [(p["version"]["version"], p["environment"], p["rollback"]) for p in publishes] == [
        (1, "production", False),
        (2, "staging", False),
        (3, "staging", True),
    ]
    assert len({p["eventId"] for p in publishes} | {e["eventId"] for e in changes}) == 12


async def test_subscriptions_filter_by_persona_and_environment(
    app: Starlette, url: str, api: GraphQLClient
) -> None:
    actor = api.principal
    await environment_named(actor.workspace_id, "staging")
    first, second = await _persona(api, "First"), await _persona(api, "Second")
    async with graphql_ws(url, api.key) as socket:
        await socket.subscribe("production", CHANGES, environment="production")
        await socket.subscribe("staging", CHANGES, environment="staging")
        await socket.subscribe("second", CHANGES, personaId=second["id"])
        await subscribed(hub_of(app), 3)

        await publishing.publish_persona(actor, _id(first), 1, None, "staging")
        await publish(api, second)  # its v1, to production
        await promotion.deploy_persona_version(actor, _id(first), 1, "production", None)
        await publishing.publish_persona(actor, _id(second), 1, None, "staging")
        received = await events(socket, 2 + 2 + 2)

    def seen(name: str) -> list[tuple[str, str]]:
        by_id = {first["id"]: "first", second["id"]: "second"}
        return [(by_id[e["persona"]["id"]], e["environment"]) for e in received[name]]

    assert seen("production") == [("second", "production"), ("first", "production")]
    assert seen("staging") == [("first", "staging"), ("second", "staging")]
    assert seen("second") == [("second", "production"), ("second", "staging")]


async def test_events_stay_in_their_workspace(
    app: Starlette, url: str, api: GraphQLClient, client_for: ClientFactory
) -> None:
    stranger = await client_for(Role.VIEWER, workspace="globex")
    theirs = await client_for(Role.PUBLISHER, workspace="globex")
    async with graphql_ws(url, stranger.key) as socket:
        await socket.subscribe("all", CHANGES)
        await socket.subscribe("published", PUBLISHES)
        await subscribed(hub_of(app), 2)
        await publish(api, await _persona(api))  # acme's: never reaches globex
        own = await _persona(theirs, "Theirs")
        await publish(theirs, own)
        received = await events(socket, 2)
    assert [e["persona"]["id"] for e in received["all"]] == [own["id"]]
    assert [p["version"]["version"] for p in received["published"]] == [1]


async def _refusal(
    socket: GraphQLWebSocket, operation_id: str, query: str, **variables: Any
) -> dict[str, Any]:
    """The first answer to a subscribe that is refused; what ends it (complete) is read too."""
    await socket.subscribe(operation_id, query, **variables)
    message = await receive(socket)
    assert message["id"] == operation_id, message
    if message["type"] == "next":
        assert await receive(socket) == {"id": operation_id, "type": "complete"}
    return message


async def test_an_unknown_persona_or_environment_is_refused(
    url: str, api: GraphQLClient, client_for: ClientFactory
) -> None:
    foreign = await _persona(await client_for(workspace="globex"))
    async with graphql_ws(url, api.key) as socket:
        unknown_persona = await _refusal(socket, "1", CHANGES, personaId=foreign["id"])
        unknown_environment = await _refusal(socket, "2", CHANGES, environment="staging")
    assert [e["message"] for e in unknown_persona["payload"]["errors"]] == ["Persona not found."]
    (error,) = unknown_environment["payload"]["errors"]
    assert error["extensions"] == {"code": "UNKNOWN_ENVIRONMENT"}
    assert error["message"] == "The workspace has no environment 'staging'."


async def test_a_runtime_key_may_not_watch_deployments(url: str, client_for: ClientFactory) -> None:
    runtime = await client_for(Role.RUNTIME)
    async with graphql_ws(url, runtime.key) as socket:
        refused = await _refusal(socket, "1", CHANGES)
    assert refused["type"] == "error"
    assert [error["extensions"] for error in refused["payload"]] == [{"code": "FORBIDDEN"}]
    assert "may not use deploymentChanged" in refused["payload"][0]["message"]


async def test_deleting_an_environment_ends_the_subscriptions_on_it(
    app: Starlette, url: str, api: GraphQLClient
) -> None:
    actor = api.principal
    staging = await environment_named(actor.workspace_id, "staging")
    persona = await _persona(api)
    async with graphql_ws(url, api.key) as socket:
        await socket.subscribe("staging", CHANGES, environment="staging")
        await socket.subscribe("everything", CHANGES)
        await subscribed(hub_of(app), 2)
        await publishing.publish_persona(actor, _id(persona), 1, None, "staging")
        assert sorted(await events(socket, 2)) == ["everything", "staging"]
        await remove_environment(staging)
        ended = await receive(socket)
        assert len(hub_of(app).subscribers) == 1
        await publish(api, persona, revision=1)  # the other subscription goes on
        after = await receive(socket)
    assert ended == {"id": "staging", "type": "complete"}
    assert after["id"] == "everything"
    assert step(after["payload"]["data"]["deploymentChanged"]) == (
        "PUBLISHED",
        "production",
        2,
        None,
    )


async def _until_heard(
    socket: GraphQLWebSocket, poke: Callable[[int], Awaitable[None]]
) -> dict[str, Any]:
    """Poke (publish version 1, 2, ...) until the subscription hears one, then read the events
    of the pokes after it: from then on the subscriber hears every change, and nothing is
    left queued. Returns the last event."""
    pokes = 0
    while True:
        pokes += 1
        await poke(pokes)
        with contextlib.suppress(TimeoutError):
            message = await asyncio.wait_for(socket.receive(), timeout=1)
            break
        assert pokes < 30, "the subscription never heard a change"
    heard = message
    while heard["payload"]["data"]["deploymentChanged"]["deployment"]["version"]["version"] < pokes:
        heard = await receive(socket)
    return heard


async def test_a_change_made_on_one_process_reaches_a_subscriber_of_another(
    tmp_path: Path, mongo_server: EmbeddedDatabase
) -> None:
    with serving_two(tmp_path, mongo_server.uri) as (first, second):
        created = await graphql_async(
            second, CREATE, input={"name": "Live", "voiceConfigurations": [voice_input()]}
        )
        persona = created["createPersona"]["persona"]
        revision = persona["revision"]

        async def publish_on_second(version: int) -> None:
            nonlocal revision
            if version > 1:
                edit = {"id": persona["id"], "expectedRevision": revision, "name": f"v{version}"}
                edited = await graphql_async(second, UPDATE, input=edit)
                revision = edited["updatePersona"]["persona"]["revision"]
            published = await graphql_async(
                second, PUBLISH, input={"personaId": persona["id"], "expectedRevision": revision}
            )
            assert published["publishPersona"]["userErrors"] == []

        async with graphql_ws(f"{first.url}/graphql", first.key) as socket:
            await socket.subscribe("1", CHANGES, personaId=persona["id"])
            heard = (await _until_heard(socket, publish_on_second))["payload"]["data"]
            newest = heard["deploymentChanged"]["deployment"]["version"]["version"]
            await publish_on_second(newest + 1)
            await graphql_async(second, ROLLBACK, input={"personaId": persona["id"], "version": 1})
            received = await events(socket, 2)
    published, rolled_back = received["1"]
    assert step(published) == ("PUBLISHED", "production", newest + 1, None)
    assert step(rolled_back) == ("ROLLED_BACK", "production", newest + 2, None)
    assert (
        len({heard["deploymentChanged"]["eventId"], published["eventId"], rolled_back["eventId"]})
        == 3
    )


LIVE = """
query($id: ID!, $environment: String, $contact: String) {
  liveConfiguration(personaId: $id, channel: VOICE, locale: "en-US",
                    environment: $environment, contactId: $contact) {
    version rolloutArm variables
  }
}
"""


async def test_call_starts_on_another_process_follow_every_change(
    tmp_path: Path, mongo_server: EmbeddedDatabase, database: MongoDatabase, api: GraphQLClient
) -> None:
    """A process that holds what an environment serves in memory drops it on every change
    made elsewhere (here by this test's process, through the services a mutation calls)."""
    actor = api.principal
    staging = await environment_named(actor.workspace_id, "staging")
    persona = await _persona(api)
    pid = _id(persona)
    defined = await api.ok(
        SET_VARIABLES,
        "setPersonaVariables",
        input={"personaId": persona["id"], "expectedRevision": 1, "variables": [variable("tier")]},
    )
    persona = {**persona, "revision": defined["persona"]["revision"]}
    await publish(api, persona)  # v1 in production
    persona = await _edit(api, persona, "Sales 2")
    await publishing.publish_persona(actor, pid, persona["revision"], None, "staging")  # v2
    with serving(tmp_path, MONGODB_URI=mongo_server.uri, MONGODB_DATABASE=database.name) as other:
        other.lines.append(f"    {api.key}")

        async def serves(environment: str, version: int, arm: str, tier: str | None = None) -> None:
            """Until `other` answers a call start so: within the event latency."""
            deadline = time.monotonic() + BOUND_SECONDS
            while True:
                found = await graphql_async(
                    other, LIVE, id=persona["id"], environment=environment, contact="c-1"
                )
                answer = found["liveConfiguration"]
                seen = (answer["version"], answer["rolloutArm"], answer["variables"].get("tier"))
                if seen == (version, arm, tier):
                    return
                assert time.monotonic() < deadline, f"{environment} still serves {seen}"
                await asyncio.sleep(0.05)

        await serves("production", 1, "BASELINE")  # held in memory from here on
        await serves("staging", 2, "BASELINE")
        await rollouts.start_rollout(actor, pid, "production", 2, 100, None)
        await serves("production", 2, "CANDIDATE")
        await rollouts.set_rollout_percent(actor, pid, "production", 0)
        await serves("production", 1, "BASELINE")
        await rollouts.complete_rollout(actor, pid, "production")
        await serves("production", 2, "BASELINE")
        await promotion.deploy_persona_version(actor, pid, 1, "staging", None)
        await serves("staging", 1, "BASELINE")
        # New values for the environment, as setEnvironmentVariables writes them.
        await Environment.get_pymongo_collection().update_one(
            {"_id": staging.id}, {"$set": {"variables": {"tier": "gold"}}, "$inc": {"revision": 1}}
        )
        await serves("staging", 1, "BASELINE", tier="gold")


async def test_without_change_streams_every_change_reaches_the_same_process(
    tmp_path: Path,
) -> None:
    with standalone_database(tmp_path / "standalone") as uri:
        client = connect(uri)
        try:
            await bind_all(client["local_events"])
            app = create_app(Settings(), client["local_events"])
            owner = await workspace_named("acme")
            assert owner.id is not None
            issued = await issue_key(owner.id, "acme admin", Role.ADMIN)
            actor = Principal(owner.id, Role.ADMIN, issued.key.name, issued.key.id)
            async with stock_uvicorn(app) as served:
                http = httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://testserver",
                    headers={"Authorization": f"Bearer {issued.secret}"},
                )
                async with http:
                    api = GraphQLClient(http, actor, issued.secret)
                    persona = await _persona(api)
                    pid = _id(persona)
                    async with graphql_ws(f"{served}/graphql", issued.secret) as socket:
                        await socket.subscribe("1", CHANGES, personaId=persona["id"])
                        assert not hub_of(app).change_streams
                        await subscribed(hub_of(app), 1)
                        await publishing.publish_persona(actor, pid, 1, None)
                        persona = await _edit(api, persona, "Sales 2")
                        await publishing.publish_persona(actor, pid, persona["revision"], None)
                        await promotion.deploy_persona_version(actor, pid, 1, "production", None)
                        await rollouts.start_rollout(actor, pid, "production", 2, 10, None)
                        received = await events(socket, 4)
        finally:
            await client.close()
    assert [step(event) for event in received["1"]] == [
        ("PUBLISHED", "production", 1, None),
        ("PUBLISHED", "production", 2, None),
        ("DEPLOYED", "production", 1, None),
        ("ROLLOUT_STARTED", "production", 1, (10, 2)),
    ]

"""deploymentChanged over a real websocket: one event per change of what an environment
serves, filtered, scoped to the workspace, ended with its environment; personaPublished
telling the environment."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette

from app.access.principal import Role
from app.release import promotion, publishing, rollouts
from app.release.documents import DeploymentChange
from app.release.events import EventHub
from tests.conftest import ClientFactory
from tests.support.client import UPDATE, GraphQLClient, object_id, publish, voice_input
from tests.support.deployment_events import (
    CHANGES,
    PUBLISHES,
    environment_named,
    events,
    receive,
    remove_environment,
    step,
    subscribed,
)
from tests.support.inprocess import stock_uvicorn
from tests.support.ws import GraphQLWebSocket, graphql_ws


@pytest.fixture
async def url(app: Starlette) -> AsyncIterator[str]:
    """The app served on a port, its lifespan (and so its change stream) running."""
    async with stock_uvicorn(app) as served:
        yield f"{served}/graphql"


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
    pid = object_id(persona["id"])
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

        await publishing.publish_persona(actor, object_id(first["id"]), 1, None, "staging")
        await publish(api, second)  # its v1, to production
        await promotion.deploy_persona_version(actor, object_id(first["id"]), 1, "production", None)
        await publishing.publish_persona(actor, object_id(second["id"]), 1, None, "staging")
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
    await publishing.publish_persona(actor, object_id(persona["id"]), 1, None, "staging")
    async with graphql_ws(url, api.key) as socket:
        await socket.subscribe("staging", CHANGES, environment="staging")
        await socket.subscribe("everything", CHANGES)
        await subscribed(hub_of(app), 2)
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

"""The publish event hub, and the subscription run through `schema.subscribe`."""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from strawberry.types import ExecutionResult

from app.access.principal import Role
from app.personas.documents import PersonaVersion
from app.platform.database import MongoDatabase
from app.release import events
from app.release.events import EventHub, Subscriber, SubscriberTooSlow
from graphql_schema.context import Context
from graphql_schema.schema import schema
from tests.conftest import ClientFactory, CommandLog
from tests.support.client import GraphQLClient, voice_input

SUBSCRIPTION = """
subscription($personaId: ID) {
  personaPublished(personaId: $personaId) {
    eventId rollback persona { id status } version { version note rollback }
  }
}
"""

PUBLISH = """
mutation($input: PublishPersonaInput!) {
  publishPersona(input: $input) { version { version } userErrors { code } }
}
"""

UPDATE = """
mutation($i: UpdatePersonaInput!) { updatePersona(input: $i) { persona { revision } } }
"""


@pytest.fixture
async def hub(database: MongoDatabase) -> AsyncIterator[EventHub]:
    hub = EventHub(PersonaVersion.get_pymongo_collection().database)
    await hub.start()
    yield hub
    await hub.stop()


async def _published_persona(api: GraphQLClient, note: str = "first") -> str:
    persona = await api.create_persona(voiceConfigurations=[voice_input()])
    await _publish(api, persona["id"], persona["revision"], note)
    return str(persona["id"])


async def _publish(api: GraphQLClient, persona_id: str, revision: int, note: str) -> None:
    data = await api.data(
        PUBLISH, input={"personaId": persona_id, "expectedRevision": revision, "note": note}
    )
    assert data["publishPersona"]["userErrors"] == []


async def _subscribe(
    api: GraphQLClient, hub: EventHub, **variables: Any
) -> AsyncIterator[ExecutionResult]:
    result = await schema.subscribe(
        SUBSCRIPTION,
        variable_values=variables,
        context_value=Context(None, None, events=hub, principal=api.principal),
    )
    assert not isinstance(result, ExecutionResult), result.errors
    return result


async def _next(
    stream: AsyncIterator[ExecutionResult], hub: EventHub
) -> "asyncio.Future[ExecutionResult]":
    """The next event; starts the subscriber before anything is published."""
    waiting = asyncio.ensure_future(anext(stream))
    count = len(hub.subscribers)
    await _eventually(lambda: len(hub.subscribers) > count or waiting.done())
    return waiting


async def _eventually(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - the hub has no event to wait on, by design
            await asyncio.sleep(0.01)


async def test_a_publish_reaches_a_subscriber(api: GraphQLClient, hub: EventHub) -> None:
    persona = await api.create_persona(voiceConfigurations=[voice_input()])
    stream = await _subscribe(api, hub)
    pending = await _next(stream, hub)
    await _publish(api, persona["id"], persona["revision"], "go live")
    result = await asyncio.wait_for(pending, timeout=5)
    assert result.errors is None
    event = result.data["personaPublished"]  # type: ignore[index]
    assert event["persona"] == {"id": persona["id"], "status": "PUBLISHED"}
    assert event["version"] == {"version": 1, "note": "go live", "rollback": False}
    assert event["rollback"] is False
    assert event["eventId"]
    await stream.aclose()  # type: ignore[attr-defined]
    assert hub.subscribers == set()


async def test_a_persona_filter_skips_other_personas(api: GraphQLClient, hub: EventHub) -> None:
    watched = await api.create_persona(voiceConfigurations=[voice_input()])
    other = await api.create_persona(name="Other", voiceConfigurations=[voice_input()])
    stream = await _subscribe(api, hub, personaId=watched["id"])
    pending = await _next(stream, hub)
    await _publish(api, other["id"], other["revision"], "other")
    await _publish(api, watched["id"], watched["revision"], "watched")
    result = await asyncio.wait_for(pending, timeout=5)
    event = result.data["personaPublished"]  # type: ignore[index]
    assert event["persona"]["id"] == watched["id"]
    assert event["version"]["note"] == "watched"
    await stream.aclose()  # type: ignore[attr-defined]


async def test_a_rollback_is_flagged(api: GraphQLClient, hub: EventHub) -> None:
    persona_id = await _published_persona(api)
    update = (
        "mutation($i: UpdatePersonaInput!) { updatePersona(input: $i) { persona { revision } } }"
    )
    edited = await api.data(update, i={"id": persona_id, "expectedRevision": 1, "name": "v2"})
    stream = await _subscribe(api, hub, personaId=persona_id)
    # Version 2's event is read first: one still in flight when subscribing would reach us too.
    pending = await _next(stream, hub)
    await _publish(api, persona_id, edited["updatePersona"]["persona"]["revision"], "v2")
    published = await asyncio.wait_for(pending, timeout=5)
    assert published.data["personaPublished"]["rollback"] is False  # type: ignore[index]
    pending = asyncio.ensure_future(anext(stream))
    rollback = """mutation($i: RollbackPersonaInput!) {
      rollbackPersona(input: $i) { userErrors { code } } }"""
    await api.data(rollback, i={"personaId": persona_id, "version": 1, "note": "undo"})
    result = await asyncio.wait_for(pending, timeout=5)
    event = result.data["personaPublished"]  # type: ignore[index]
    assert event["rollback"] is True
    assert event["version"] == {"version": 3, "note": "undo", "rollback": True}
    await stream.aclose()  # type: ignore[attr-defined]


@pytest.mark.parametrize("persona_id", ["garbage", "UGVyc29uYTo2YjA0ZmY0ZDA3NTE5ZWNiYTcwN2UzZGY"])
async def test_an_unknown_persona_cannot_be_watched(
    api: GraphQLClient, hub: EventHub, persona_id: str
) -> None:
    result = await schema.subscribe(
        SUBSCRIPTION,
        variable_values={"personaId": persona_id},
        context_value=Context(None, None, events=hub, principal=api.principal),
    )
    first = result if isinstance(result, ExecutionResult) else await anext(result)
    assert first.errors is not None
    assert [error.message for error in first.errors] == ["Persona not found."]


async def test_one_change_stream_feeds_every_subscriber(api: GraphQLClient, hub: EventHub) -> None:
    persona = await api.create_persona(voiceConfigurations=[voice_input()])
    streams = [await _subscribe(api, hub) for _ in range(5)]
    pending = [await _next(stream, hub) for stream in streams]
    assert len(hub.subscribers) == 5
    await _publish(api, persona["id"], persona["revision"], "fan out")
    results = await asyncio.wait_for(asyncio.gather(*pending), timeout=5)
    event_ids = {r.data["personaPublished"]["eventId"] for r in results}  # type: ignore[index]
    assert len(event_ids) == 1
    assert len([t for t in asyncio.all_tasks() if t.get_name() == "persona-publish-events"]) == 1
    for stream in streams:
        await stream.aclose()  # type: ignore[attr-defined]


async def test_a_slow_subscriber_is_dropped_without_stalling_others(
    api: GraphQLClient, hub: EventHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "QUEUE_SIZE", 2)
    slow, fast = Subscriber(), Subscriber()
    hub.subscribers |= {slow, fast}
    persona = await api.create_persona(voiceConfigurations=[voice_input()])
    revision = persona["revision"]
    received = []
    for round_ in range(3):
        await _publish(api, persona["id"], revision, f"round {round_}")
        received.append(await asyncio.wait_for(fast.queue.get(), timeout=5))
        edited = await api.data(
            UPDATE, i={"id": persona["id"], "expectedRevision": revision, "name": f"n{round_}"}
        )
        revision = edited["updatePersona"]["persona"]["revision"]
    assert [event and event.change.published for event in received] == [1, 2, 3]
    assert slow.dropped
    assert slow not in hub.subscribers
    assert fast in hub.subscribers
    drained: list[int | None] = []
    with pytest.raises(SubscriberTooSlow, match="Subscriber dropped"):  # noqa: PT012
        async for event in slow:
            drained.append(event.change.published)
    assert drained == [1, 2]


WITH_VERSIONS = """
subscription($personaId: ID) {
  personaPublished(personaId: $personaId) {
    eventId persona { id versions(first: 2) { edges { node { version } } } }
  }
}
"""


async def test_subscribers_asking_the_same_share_one_execution(
    api: GraphQLClient, client_for: ClientFactory, hub: EventHub, command_log: CommandLog
) -> None:
    persona = await api.create_persona(voiceConfigurations=[voice_input()])
    viewer = await client_for(Role.VIEWER)
    groups = [(api, {"personaId": persona["id"]})] * 10  # one execution for these ten
    groups += [(api, {})] * 5  # other variables: executed apart
    groups += [(viewer, {"personaId": persona["id"]})] * 5  # another role: apart too
    streams = []
    for client, variables in groups:
        subscribed = await schema.subscribe(
            WITH_VERSIONS,
            variable_values=variables,
            context_value=Context(None, None, events=hub, principal=client.principal),
        )
        assert not isinstance(subscribed, ExecutionResult), subscribed.errors
        streams.append(subscribed)
    pending = [asyncio.ensure_future(anext(stream)) for stream in streams]
    await _eventually(lambda: len(hub.subscribers) == len(groups))

    command_log.targets.clear()
    await _publish(api, persona["id"], persona["revision"], "shared")
    results = await asyncio.wait_for(asyncio.gather(*pending), timeout=5)

    expected = {"id": persona["id"], "versions": {"edges": [{"node": {"version": 1}}]}}
    for result in results:
        assert isinstance(result, ExecutionResult)
        assert result.errors is None
        assert result.data["personaPublished"]["persona"] == expected  # type: ignore[index]
    version_reads = [t for t in command_log.targets if t == ("find", "persona_versions")]
    assert len(version_reads) == 3  # one per distinct (document, variables, role)
    for stream in streams:
        await stream.aclose()

"""/metrics: what this process did, in Prometheus text, for those allowed to see it."""

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from app.access.principal import Role
from app.platform.database import MongoDatabase
from app.platform.settings import Settings
from app.server.asgi import create_app
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient, publish, store_malformed_persona, voice_input
from tests.support.inprocess import stock_uvicorn
from tests.support.metrics import requests, scrape, value
from tests.support.ws import graphql_ws

LIVE = """
query($id: ID!) {
  liveConfiguration(personaId: $id, channel: VOICE, locale: "en-US") { version }
}
"""
SUBSCRIPTION = "subscription { personaPublished { persona { id } } }"
REMOTE = ("203.0.113.7", 40_000)  # a documentation address: not this host


def _client(app: Starlette, client: tuple[str, int] = ("127.0.0.1", 40_000)) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=client), base_url="http://testserver"
    )


@pytest.fixture
async def local(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(app) as http:
        yield http


async def test_operations_are_counted_by_type_and_outcome(
    api: GraphQLClient, local: httpx.AsyncClient, database: MongoDatabase
) -> None:
    before = await scrape(local)
    await api.data("{ personas { edges { node { id } } } }")
    await api.create_persona(voiceConfigurations=[voice_input()])
    assert (await api.execute("{ nope }"))["errors"]  # invalid: refused before it ran
    await store_malformed_persona(database, api.principal)
    assert (await api.execute("{ personas { edges { node { id } } } }"))["errors"]
    assert (
        await local.post("/graphql", json={"query": "{ personas { totalCount } }"})
    ).status_code == 401
    after = await scrape(local)

    def delta(operation_type: str, outcome: str) -> float:
        return requests(after, operation_type, outcome) - requests(before, operation_type, outcome)

    assert delta("query", "ok") == 1
    assert delta("mutation", "ok") == 1
    assert delta("query", "refused") == 1
    assert delta("query", "error") == 1
    assert delta("unknown", "refused") == 1  # no key: it never reached GraphQL
    timed = "persona_api_graphql_request_seconds_count"
    assert (
        value(after, timed, operation_type="query") - value(before, timed, operation_type="query")
        == 3
    )
    commands = "persona_api_database_commands_total"
    assert value(after, commands) > value(before, commands)


async def test_call_starts_served_from_memory_count_as_cache_hits(
    app: Starlette, client_for: ClientFactory, local: httpx.AsyncClient
) -> None:
    async with app.router.lifespan_context(app):
        api = await client_for()
        persona = await api.create_persona(voiceConfigurations=[voice_input()])
        await publish(api, persona)
        before = await scrape(local)
        for _ in range(3):
            assert (await api.data(LIVE, id=persona["id"]))["liveConfiguration"]["version"] == 1
        after = await scrape(local)
    lookups = "persona_api_cache_lookups_total"
    hits = value(after, lookups, cache="call_start", result="hit")
    misses = value(after, lookups, cache="call_start", result="miss")
    assert hits - value(before, lookups, cache="call_start", result="hit") >= 2
    assert misses - value(before, lookups, cache="call_start", result="miss") <= 1


async def test_open_subscriptions_and_delivered_events_are_counted(
    app: Starlette, client_for: ClientFactory
) -> None:
    async with stock_uvicorn(app) as url, httpx.AsyncClient(base_url=url) as http:
        api = await client_for()
        persona = await api.create_persona(voiceConfigurations=[voice_input()])
        before = await scrape(http)
        async with graphql_ws(f"{url}/graphql", api.key) as socket:
            await socket.subscribe("1", SUBSCRIPTION)
            open_now = before
            for _ in range(100):  # the subscription starts after the subscribe message
                open_now = await scrape(http)
                gauge = "persona_api_open_subscriptions"
                if value(open_now, gauge) > value(before, gauge):
                    break
            assert value(open_now, gauge) == value(before, gauge) + 1
            await publish(api, persona)
            assert (await socket.receive())["type"] == "next"
            during = await scrape(http)
        delivered = "persona_api_subscription_events_delivered_total"
        assert value(during, delivered) == value(before, delivered) + 1
        for _ in range(100):
            after = await scrape(http)
            if value(after, gauge) == value(before, gauge):
                break
        assert value(after, gauge) == value(before, gauge)


async def test_metrics_from_another_host_need_an_admin_key(
    app: Starlette, client_for: ClientFactory
) -> None:
    admin, editor = await client_for(Role.ADMIN), await client_for(Role.EDITOR)
    async with _client(app, REMOTE) as remote:
        refused = await remote.get("/metrics")
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        forbidden = await remote.get("/metrics", headers={"Authorization": f"Bearer {editor.key}"})
        assert forbidden.status_code == 403
        assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        allowed = await scrape(remote, {"Authorization": f"Bearer {admin.key}"})
    assert value(allowed, "persona_api_open_subscriptions") >= 0


async def test_metrics_public_opens_them_to_every_host(database: MongoDatabase) -> None:
    app = create_app(Settings(metrics_public=True), database)
    async with _client(app, REMOTE) as remote:
        samples = await scrape(remote)
    assert ("persona_api_open_subscriptions", ()) in samples

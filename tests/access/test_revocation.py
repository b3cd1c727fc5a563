"""Principals are cached for about a second, yet a revoked key stops working promptly everywhere."""

import asyncio
import hashlib
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from app.access.documents import ApiKey
from app.access.principal import Role
from app.access.principals import TTL_SECONDS, WATCH_INTERVAL_SECONDS
from app.platform.embedded import EmbeddedDatabase
from tests.conftest import CommandLog
from tests.support.client import (
    CREATE,
    CREATE_KEY,
    PUBLISH,
    REVOKE_KEY,
    UPDATE,
    GraphQLClient,
    random_key,
    voice_input,
)
from tests.support.processes import Server, graphql_async, serving_two
from tests.support.ws import GraphQLWebSocket, graphql_ws

READ = {"query": "{ voices { key } }"}  # answered from the catalog: no database command but auth
SUBSCRIPTION = "subscription { personaPublished { version { version } } }"
BURST = 40
# Generous: the design closes a revoked key's sockets within TTL + one watch interval (1.5 s).
REVOCATION_WAIT = 2 * (TTL_SECONDS + WATCH_INTERVAL_SECONDS)


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _key_lookups(command_log: CommandLog) -> int:
    return command_log.targets.count(("find", "api_keys"))


async def _new_key(api: GraphQLClient, name: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await api.data(CREATE_KEY, input={"name": name, "role": "VIEWER"}))[
        "createApiKey"
    ]
    assert payload["userErrors"] == []
    return payload


async def _status(api: GraphQLClient, key: str) -> int:
    return (await api.http.post("/graphql", json=READ, headers=_bearer(key))).status_code


# ---- one app -------------------------------------------------------------------


async def test_a_burst_of_requests_looks_its_key_up_about_once(
    api: GraphQLClient, command_log: CommandLog
) -> None:
    key = (await _new_key(api, "busy"))["key"]
    command_log.targets.clear()

    together = await asyncio.gather(*(_status(api, key) for _ in range(BURST)))
    one_by_one = [await _status(api, key) for _ in range(BURST)]

    assert together == one_by_one == [200] * BURST
    # One lookup for the whole burst; a second one only if the burst outlived the cache entry.
    assert 1 <= _key_lookups(command_log) <= 2, command_log.targets


async def test_a_cached_key_revoked_on_the_same_app_is_refused_at_once(
    api: GraphQLClient, command_log: CommandLog
) -> None:
    issued = await _new_key(api, "short-lived")
    assert [await _status(api, issued["key"]) for _ in range(3)] == [200] * 3  # now cached

    revoked = (await api.data(REVOKE_KEY, input={"id": issued["apiKey"]["id"]}))["revokeApiKey"]
    assert revoked["userErrors"] == []
    command_log.targets.clear()

    assert await _status(api, issued["key"]) == 401
    assert _key_lookups(command_log) == 1  # the cache let go of it: the refusal is the database's
    assert await _status(api, api.key) == 200  # other keys are untouched


async def test_an_unknown_key_is_refused_and_later_keys_still_work(
    api: GraphQLClient, command_log: CommandLog
) -> None:
    unknown = random_key()
    command_log.targets.clear()
    assert [await _status(api, unknown) for _ in range(BURST)] == [401] * BURST
    assert _key_lookups(command_log) <= 2, command_log.targets  # its refusal is remembered

    flood = await asyncio.gather(*(_status(api, random_key()) for _ in range(BURST)))
    assert flood == [401] * BURST
    assert await _status(api, api.key) == 200

    made_here = (await _new_key(api, "made after the flood"))["key"]
    assert await _status(api, made_here) == 200

    # A key refused just before another process stores it (as `persona-api keys create` would).
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    early = f"pa_{prefix}_{secret}"
    assert await _status(api, early) == 401
    await ApiKey(
        workspace_id=api.principal.workspace_id,
        name="made elsewhere",
        role=Role.VIEWER,
        prefix=prefix,
        secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
    ).insert()

    statuses = []
    for _ in range(int(REVOCATION_WAIT / 0.1)):
        statuses.append(await _status(api, early))
        if statuses[-1] == 200:
            break
        await asyncio.sleep(0.1)
    assert statuses[-1] == 200, statuses


# ---- real servers on one database -----------------------------------------------


async def _closed(socket: GraphQLWebSocket) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(socket.receive(), timeout=REVOCATION_WAIT)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def _post(server: Server, key: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(f"{server.url}/graphql", json=READ, headers=_bearer(key))


async def _next_version(socket: GraphQLWebSocket) -> int:
    message = await asyncio.wait_for(socket.receive(), timeout=5)
    assert message["type"] == "next", message
    version: int = message["payload"]["data"]["personaPublished"]["version"]["version"]
    return version


async def _publish(server: Server, persona_id: str, revision: int) -> None:
    data = await graphql_async(
        server, PUBLISH, input={"personaId": persona_id, "expectedRevision": revision}
    )
    assert data["publishPersona"]["userErrors"] == []


async def test_a_key_revoked_through_one_process_stops_working_on_another(
    tmp_path: Path, mongo_server: EmbeddedDatabase
) -> None:
    with serving_two(tmp_path, mongo_server.uri) as (first, second):
        created = (
            await graphql_async(first, CREATE_KEY, input={"name": "doomed", "role": "VIEWER"})
        )["createApiKey"]
        doomed = created["key"]
        persona = (
            await graphql_async(
                first, CREATE, input={"name": "Watched", "voiceConfigurations": [voice_input()]}
            )
        )["createPersona"]["persona"]

        async with (
            graphql_ws(f"{second.url}/graphql", doomed) as doomed_on_second,
            graphql_ws(f"{first.url}/graphql", doomed) as doomed_on_first,
            graphql_ws(f"{second.url}/graphql", second.key) as survivor,
        ):
            sockets = (doomed_on_second, doomed_on_first, survivor)
            for socket in sockets:
                await socket.subscribe("1", SUBSCRIPTION)
            # Long enough for every socket's key to be re-checked, and looked up again, twice.
            await asyncio.sleep(2 * (TTL_SECONDS + WATCH_INTERVAL_SECONDS))
            await _publish(first, persona["id"], persona["revision"])
            assert [await _next_version(socket) for socket in sockets] == [1, 1, 1]
            assert (await _post(second, doomed)).status_code == 200  # cached on the second

            await graphql_async(first, REVOKE_KEY, input={"id": created["apiKey"]["id"]})
            assert (await _post(first, doomed)).status_code == 401  # at once where revoked

            expected = (4403, "API key revoked")
            assert await _closed(doomed_on_first) == expected
            assert await _closed(doomed_on_second) == expected
            refused = await _post(second, doomed)
            assert refused.status_code == 401, refused.text

            # The other key's subscription, on the same process, carries on.
            edit = {"id": persona["id"], "expectedRevision": persona["revision"], "name": "Still"}
            edited = (await graphql_async(second, UPDATE, input=edit))["updatePersona"]["persona"]
            await _publish(second, persona["id"], edited["revision"])
            assert await _next_version(survivor) == 2

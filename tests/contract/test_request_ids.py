"""Masked errors carry the request id; client request ids are echoed or replaced; unauthenticated
answers and early websocket messages are refused with one."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from app.platform.database import MongoDatabase
from app.platform.embedded import EmbeddedDatabase
from tests.support.client import (
    GraphQLClient,
    store_malformed_persona,
)
from tests.support.processes import serving
from tests.support.ws import graphql_ws

PERSONAS = "{ personas(first: 10) { totalCount edges { node { id draft { name } } } } }"
SUBSCRIPTION = "subscription { personaPublished { eventId } }"


# --- masked errors and request ids --------------------------------------------------------------


async def test_an_unexpected_error_is_masked_with_the_request_id(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    await store_malformed_persona(database, api.principal)
    response = await api.http.post("/graphql", json={"query": PERSONAS})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body["data"] is None
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    assert error["message"] == "Unexpected error."
    request_id = response.headers["x-request-id"]
    assert len(request_id) >= 16
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert "not-an-object" not in response.text

    again = await api.http.post("/graphql", json={"query": PERSONAS})
    assert again.headers["x-request-id"] != request_id
    assert again.json()["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": again.headers["x-request-id"],
    }


async def test_a_masked_error_carries_the_clients_request_id(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    await store_malformed_persona(database, api.principal)
    response = await api.http.post(
        "/graphql", json={"query": PERSONAS}, headers={"X-Request-ID": "trace-42.a_b"}
    )
    assert response.headers["x-request-id"] == "trace-42.a_b"
    assert response.json()["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": "trace-42.a_b",
    }


@pytest.mark.parametrize(
    "offered",
    ["abc-123", "A.b_C-9", "x" * 64, "0123456789abcdef0123456789abcdef"],
)
async def test_a_well_formed_client_request_id_is_echoed(api: GraphQLClient, offered: str) -> None:
    for method, path in (("POST", "/graphql"), ("GET", "/healthz")):
        response = await api.http.request(
            method,
            path,
            json={"query": "{ __typename }"} if method == "POST" else None,
            headers={"X-Request-ID": offered},
        )
        assert response.status_code == 200
        assert response.headers["x-request-id"] == offered


@pytest.mark.parametrize(
    "offered",
    [
        "evil\nInjected: header",
        "evil\r\nSet-Cookie: a=b",
        "x" * 200,
        "x" * 65,
        "has space",
        '"quoted"',
        "semi;colon",
        "",
    ],
)
async def test_a_hostile_client_request_id_is_replaced(api: GraphQLClient, offered: str) -> None:
    response = await api.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": offered}
    )
    assert response.status_code == 200
    echoed = response.headers.get_list("x-request-id")
    assert len(echoed) == 1
    assert echoed[0] != offered
    assert len(echoed[0]) == 32
    assert all(c in "0123456789abcdef" for c in echoed[0])
    assert "injected" not in response.headers
    assert "set-cookie" not in response.headers


async def test_an_unauthenticated_response_carries_a_request_id(
    api: GraphQLClient,
) -> None:
    response = await api.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": "Bearer pa_x_y"}
    )
    assert response.status_code == 401
    assert len(response.headers["x-request-id"]) == 32


# --- websockets ---------------------------------------------------------------------------------


async def test_a_subscribe_before_connection_init_closes_the_socket_4401(
    tmp_path: Path, mongo_server: EmbeddedDatabase
) -> None:
    with serving(tmp_path, MONGODB_URI=mongo_server.uri) as server:
        async with graphql_ws(f"{server.url}/graphql", init=False) as socket:
            await socket.subscribe("1", SUBSCRIPTION)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.receive(), timeout=5)
        # The server still serves a socket that does things in order.
        async with graphql_ws(f"{server.url}/graphql", server.key) as socket:
            await socket.subscribe("1", SUBSCRIPTION)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(socket.receive(), timeout=0.5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401

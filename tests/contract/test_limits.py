"""Limits on what a request may ask: depth, tokens, aliases, page size, body size, batching,
introspection and the playground when turned off."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from graphql import get_introspection_query

from app.access.keys import issue_key, workspace_named
from app.access.principal import Role
from app.platform.database import MongoDatabase
from app.platform.settings import Settings
from app.server.asgi import create_app
from graphql_schema.schema import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from tests.support.client import (
    CREATE,
    PUBLISH,
    GraphQLClient,
    voice_input,
)

PERSONAS = "{ personas(first: 10) { totalCount edges { node { id draft { name } } } } }"
SUBSCRIPTION = "subscription { personaPublished { eventId } }"


def _nested(fields: list[str], leaf: str) -> str:
    """`a { b { c { leaf } } }` for fields [a, b, c]."""
    text = leaf
    for field in reversed(fields):
        text = f"{field} {{ {text} }}"
    return text


# The deepest path the schema has: ten fields, so a valid query never reaches MAX_DEPTH.
DEEPEST_PATH = [
    "personas",
    "edges",
    "node",
    "versions",
    "edges",
    "node",
    "snapshot",
    "voiceConfigurations",
    "voice",
]


def _messages(body: dict[str, Any]) -> list[str]:
    return [error["message"] for error in body.get("errors") or []]


async def _stored_personas(database: MongoDatabase) -> int:
    return await database["personas"].count_documents({})


def _create_body(name: str) -> dict[str, Any]:
    return {"query": CREATE, "variables": {"input": {"name": name}}}


# --- depth ------------------------------------------------------------------------------------


async def test_the_deepest_valid_query_is_within_the_depth_limit(api: GraphQLClient) -> None:
    persona = await api.create_persona(name="Deep", voiceConfigurations=[voice_input()])
    published = await api.data(
        PUBLISH, input={"personaId": persona["id"], "expectedRevision": persona["revision"]}
    )
    assert published["publishPersona"]["userErrors"] == []
    body = await api.execute("{ " + _nested(DEEPEST_PATH, "key") + " }")
    assert "errors" not in body, body
    versions = body["data"]["personas"]["edges"][0]["node"]["versions"]["edges"]
    voices = versions[0]["node"]["snapshot"]["voiceConfigurations"]
    assert voices == [{"voice": {"key": "sara-en-us-f"}}]


async def test_a_query_deeper_than_the_limit_is_refused_before_it_runs(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    # No path in the schema is this deep, so the query must reach below its leaves; the depth
    # check still has to refuse it, and nothing of the mutation at its top may run.
    too_deep = [f"level{index}" for index in range(MAX_DEPTH + 2)]
    query = (
        'mutation { createPersona(input: {name: "Too deep"}) { persona { '
        + _nested(["draft", "voiceConfigurations", "voice", *too_deep], "leaf")
        + " } } }"
    )
    response = await api.http.post("/graphql", json={"query": query})
    assert response.status_code < 500
    body: dict[str, Any] = response.json()
    assert body.get("data") is None
    assert any(
        f"exceeds maximum operation depth of {MAX_DEPTH}" in message for message in _messages(body)
    ), body
    assert await _stored_personas(database) == 0


async def test_graphiqls_introspection_query_is_not_held_to_the_depth_limit(
    api: GraphQLClient,
) -> None:
    body = await api.execute(get_introspection_query(descriptions=True))
    assert "errors" not in body, body
    names = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"Query", "Mutation", "Persona", "Locale"} <= names


# --- tokens and aliases -------------------------------------------------------------------------


async def test_aliases_up_to_the_limit_are_allowed(api: GraphQLClient) -> None:
    aliases = " ".join(f"a{index}: voices {{ key }}" for index in range(MAX_ALIASES))
    body = await api.execute("{ " + aliases + " }")
    assert "errors" not in body, body
    assert len(body["data"]) == MAX_ALIASES


async def test_more_aliases_than_the_limit_are_refused(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    aliases = " ".join(
        f'a{index}: createPersona(input: {{name: "Alias {index}"}}) {{ persona {{ id }} }}'
        for index in range(MAX_ALIASES + 1)
    )
    response = await api.http.post("/graphql", json={"query": "mutation { " + aliases + " }"})
    assert response.status_code < 500
    body: dict[str, Any] = response.json()
    assert body.get("data") is None
    assert _messages(body) == [f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}"]
    assert await _stored_personas(database) == 0


async def test_a_document_of_too_many_tokens_is_refused(
    api: GraphQLClient, settings: Settings, database: MongoDatabase
) -> None:
    # Each repeated "memory" is one token; the document stays far below the body limit.
    query = (
        'mutation { createPersona(input: {name: "Tokens"}) { persona { id draft { '
        + " memory" * MAX_TOKENS
        + " } } } }"
    )
    assert len(query.encode()) < settings.max_body_bytes
    response = await api.http.post("/graphql", json={"query": query})
    assert response.status_code < 500
    body: dict[str, Any] = response.json()
    assert body.get("data") is None
    messages = _messages(body)
    assert len(messages) == 1
    assert f"more than {MAX_TOKENS} tokens" in messages[0], messages
    assert await _stored_personas(database) == 0


async def test_a_page_larger_than_100_is_refused(api: GraphQLClient) -> None:
    await api.create_persona(name="One")
    body = await api.execute("{ personas(first: 101) { totalCount } }")
    assert body["data"] is None
    assert _messages(body) == ["first must be between 0 and 100."]
    allowed = await api.data("{ personas(first: 100) { totalCount } }")
    assert allowed["personas"]["totalCount"] == 1


# --- body size and batching ---------------------------------------------------------------------


def _padded(body: dict[str, Any], size: int) -> bytes:
    """`body` as JSON padded with trailing whitespace to exactly `size` bytes: still valid."""
    encoded = json.dumps(body).encode()
    assert len(encoded) <= size
    return encoded + b" " * (size - len(encoded))


async def test_a_body_of_exactly_the_limit_is_accepted(
    api: GraphQLClient, settings: Settings, database: MongoDatabase
) -> None:
    content = _padded(_create_body("At the limit"), settings.max_body_bytes)
    response = await api.http.post(
        "/graphql", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["createPersona"]["persona"]["draft"]["name"] == "At the limit"
    assert await _stored_personas(database) == 1


async def test_a_body_over_the_limit_with_a_content_length_is_413(
    api: GraphQLClient, settings: Settings, database: MongoDatabase
) -> None:
    content = _padded(_create_body("Too large"), settings.max_body_bytes + 1)
    response = await api.http.post(
        "/graphql", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.request.headers["content-length"] == str(settings.max_body_bytes + 1)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    message = f"The request body is larger than {settings.max_body_bytes} bytes."
    extensions = {"code": "BAD_REQUEST", "requestId": response.headers["x-request-id"]}
    assert response.json() == {"errors": [{"message": message, "extensions": extensions}]}
    assert await _stored_personas(database) == 0


async def test_a_streamed_body_over_the_limit_is_413(
    api: GraphQLClient, settings: Settings, database: MongoDatabase
) -> None:
    content = _padded(_create_body("Streamed"), settings.max_body_bytes * 3)
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), 64 * 1024):
            sent.append(start)
            yield content[start : start + 64 * 1024]

    response = await api.http.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["errors"][0]["message"] == (
        f"The request body is larger than {settings.max_body_bytes} bytes."
    )
    assert await _stored_personas(database) == 0


async def test_a_streamed_body_within_the_limit_is_served(
    api: GraphQLClient, settings: Settings, database: MongoDatabase
) -> None:
    content = _padded(_create_body("Streamed small"), settings.max_body_bytes // 2)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), 10_000):
            yield content[start : start + 10_000]

    response = await api.http.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert "errors" not in response.json()
    assert await _stored_personas(database) == 1


async def test_a_batch_of_operations_is_refused_and_none_runs(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    response = await api.http.post(
        "/graphql", json=[_create_body("Batch one"), _create_body("Batch two")]
    )
    assert response.status_code == 400
    assert "Traceback" not in response.text
    assert await _stored_personas(database) == 0


# --- introspection and playground settings ------------------------------------------------------


async def _client_of(app: Any) -> httpx.AsyncClient:
    owner = await workspace_named("acme")
    assert owner.id is not None
    issued = await issue_key(owner.id, "limits admin", Role.ADMIN)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {issued.secret}"},
    )


async def test_with_introspection_off_the_schema_is_not_described(
    database: MongoDatabase,
) -> None:
    app = create_app(Settings(graphql_introspection=False), database)
    async with await _client_of(app) as http:
        for query in (
            "{ __schema { types { name } } }",
            '{ __type(name: "Persona") { fields { name } } }',
            get_introspection_query(),
        ):
            response = await http.post("/graphql", json={"query": query})
            assert response.status_code < 500
            body: dict[str, Any] = response.json()
            assert body.get("data") is None, query
            assert body["errors"], query
            assert all("introspection" in m.lower() for m in _messages(body)), body

        created = await http.post("/graphql", json=_create_body("Still works"))
        assert created.status_code == 200
        assert "errors" not in created.json(), created.json()
        listed = await http.post("/graphql", json={"query": PERSONAS + " "})
        body = listed.json()
        assert "errors" not in body, body
        assert body["data"]["personas"]["totalCount"] == 1
        typename = await http.post("/graphql", json={"query": "{ __typename }"})
        assert typename.json() == {"data": {"__typename": "Query"}}


async def test_with_introspection_on_the_schema_is_described(api: GraphQLClient) -> None:
    body = await api.data("{ __schema { types { name } } }")
    assert "Persona" in {t["name"] for t in body["__schema"]["types"]}


async def test_with_the_playground_off_no_graphiql_page_is_served(
    database: MongoDatabase,
) -> None:
    app = create_app(Settings(graphql_playground=False), database)
    async with await _client_of(app) as http:
        for headers in ({"Accept": "text/html"}, {"Accept": "text/html", "Authorization": ""}):
            response = await http.get("/graphql", headers=headers)
            assert response.status_code == 404
            assert not response.headers["content-type"].startswith("text/html")
            assert "graphiql" not in response.text.lower()
        # The API itself is still there.
        response = await http.post("/graphql", json={"query": "{ __typename }"})
        assert response.json() == {"data": {"__typename": "Query"}}

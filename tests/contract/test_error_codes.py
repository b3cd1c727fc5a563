"""Every refusal answers in GraphQL's error shape with an `extensions.code`, at the status it
deserves, and logs no stack trace: subscriptions over HTTP, documents that do not parse or
validate, variables that do not coerce, missing keys, the wrong method or content type, and
paths the app does not serve."""

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.access.principal import Role
from app.platform.database import MongoDatabase
from tests.conftest import ClientFactory
from tests.support.client import CREATE, GraphQLClient, random_key
from tests.support.refusals import assert_quiet, bad_request, personas_stored

SUBSCRIPTION = "subscription { personaPublished { eventId } }"


def _client(app: Starlette, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)


def _only_error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert body.get("data") is None, body
    (error,) = body["errors"]
    return error  # type: ignore[no-any-return]


def _code(response: httpx.Response) -> str:
    code: str = _only_error(response)["extensions"]["code"]
    return code


async def test_a_subscription_over_http_names_the_websocket_transport(
    api: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    for response in (
        await api.http.post("/graphql", json={"query": SUBSCRIPTION}),
        await api.http.get("/graphql", params={"query": SUBSCRIPTION}),
    ):
        message = bad_request(response)
        assert "graphql-transport-ws" in message
        assert "websocket" in message
    assert_quiet(caplog)


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ personas(first: ", None, "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("{ persona(id: 1.5) { id } }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query($n: Int!) { personas(first: $n) { totalCount } }", {"n": "x"}, "BAD_USER_INPUT"),
        ("query($n: Int!) { personas(first: $n) { totalCount } }", None, "BAD_USER_INPUT"),
        ("{ personas(first: 101) { totalCount } }", None, "BAD_USER_INPUT"),
    ],
    ids=["parse", "validation", "literal", "bad-variable", "missing-variable", "argument"],
)
async def test_each_refused_document_carries_its_code(
    api: GraphQLClient,
    caplog: pytest.LogCaptureFixture,
    query: str,
    variables: dict[str, Any] | None,
    code: str,
) -> None:
    response = await api.http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200
    assert _code(response) == code
    assert_quiet(caplog)


async def test_a_runtime_key_asking_beyond_its_door_is_forbidden(
    client_for: ClientFactory,
) -> None:
    runtime = await client_for(Role.RUNTIME)
    response = await runtime.http.post("/graphql", json={"query": "{ apiKeys { id } }"})
    assert _code(response) == "FORBIDDEN"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer " + random_key(), "Basic abc"],
    ids=["no-key", "unknown-key", "not-bearer"],
)
async def test_a_missing_or_bad_key_is_a_coded_401(
    app: Starlette, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with _client(app, headers) as anonymous:
        response = await anonymous.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="persona-api"'
    assert response.json() == {
        "errors": [
            {
                "message": "A valid API key is required: send 'Authorization: Bearer <key>'.",
                "extensions": {
                    "code": "UNAUTHENTICATED",
                    "requestId": response.headers["x-request-id"],
                },
            }
        ]
    }


async def test_plain_text_refusals_are_graphql_errors(
    api: GraphQLClient, database: MongoDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    create = {"query": CREATE, "variables": {"input": {"name": "Never"}}}
    assert "Batching" in bad_request(await api.http.post("/graphql", json=[create, create]))
    bad_json = await api.http.post(
        "/graphql", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert "not valid JSON" in bad_request(bad_json)
    text = await api.http.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"Content-Type": "text/plain"}
    )
    bad_request(text)
    over_get = await api.http.get(
        "/graphql", params={"query": 'mutation { deletePersona(input: {id: "x"}) { deletedId } }'}
    )
    assert over_get.status_code == 405
    assert over_get.headers["allow"] == "POST"
    assert _code(over_get) == "METHOD_NOT_ALLOWED"
    assert "POST" in _only_error(over_get)["message"]
    put = await api.http.put("/graphql", json=create)
    assert put.status_code == 405
    assert put.headers["content-type"] == "application/json"
    assert _code(put) == "METHOD_NOT_ALLOWED"
    assert await personas_stored(database) == 0
    assert_quiet(caplog)


@pytest.mark.parametrize(
    "path", ["/nope", "/graphql/x", "/graphiql-assets/no-such-file.js", "/metricz"]
)
async def test_a_path_the_app_does_not_serve_is_404_with_or_without_a_key(
    api: GraphQLClient, app: Starlette, path: str
) -> None:
    async with _client(app) as anonymous:
        for client in (api.http, anonymous):
            response = await client.get(path)
            assert response.status_code == 404, (path, response.text)
            assert response.headers["content-type"] == "application/json"
            assert _code(response) == "NOT_FOUND"
            assert path not in response.text


async def test_a_served_path_without_a_key_stays_401(app: Starlette) -> None:
    async with _client(app) as anonymous:
        for method in ("GET", "POST", "PUT"):
            response = await anonymous.request(method, "/graphql", params={"query": "{ a }"})
            assert response.status_code == 401, method
            assert _code(response) == "UNAUTHENTICATED"

"""The HTTP surface: health probes, GraphiQL, CORS, malformed requests and masked errors."""

import re
from typing import Any

from app.platform.database import MongoDatabase
from tests.support.client import GraphQLClient, store_malformed_persona

SPA_ORIGIN = "https://spa.example.com"

PERSONAS = "{ personas(first: 10) { totalCount edges { node { id draft { name } } } } }"


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type",
    }


async def test_healthz(api: GraphQLClient) -> None:
    response = await api.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_with_a_database(api: GraphQLClient) -> None:
    response = await api.http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_graphiql_is_served_to_browsers(api: GraphQLClient) -> None:
    response = await api.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_the_playground_loads_nothing_from_other_hosts(api: GraphQLClient) -> None:
    page = (await api.http.get("/graphql", headers={"accept": "text/html"})).text
    assets = re.findall(r'(?:src|href)="(/graphiql-assets/[^"]+)"', page)
    assert len(assets) == 7
    assert "unpkg.com" not in page
    for asset in assets:
        response = await api.http.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 500, asset


async def test_cors_preflight_from_the_configured_origin(api: GraphQLClient) -> None:
    response = await api.http.options("/graphql", headers=_preflight(SPA_ORIGIN))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SPA_ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "content-type" in response.headers["access-control-allow-headers"].lower()


async def test_cors_preflight_from_another_origin_is_refused(api: GraphQLClient) -> None:
    response = await api.http.options("/graphql", headers=_preflight("https://evil.example.com"))
    assert response.status_code >= 400
    assert "access-control-allow-origin" not in response.headers


async def test_cors_on_a_real_request(api: GraphQLClient) -> None:
    allowed = await api.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": SPA_ORIGIN}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == SPA_ORIGIN
    other = await api.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example.com"}
    )
    assert "access-control-allow-origin" not in other.headers


async def test_malformed_json_body_is_a_client_error(api: GraphQLClient) -> None:
    response = await api.http.post(
        "/graphql",
        content=b'{"query": "{ personas { totalCount } ',
        headers={"Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    assert "Traceback" not in response.text


async def test_syntax_error_is_a_graphql_error(api: GraphQLClient) -> None:
    response = await api.http.post("/graphql", json={"query": "{ personas { totalCount "})
    assert response.status_code < 500
    body: dict[str, Any] = response.json()
    assert body["errors"]
    assert "Syntax Error" in body["errors"][0]["message"]
    assert "Traceback" not in response.text


async def test_unknown_field_is_a_graphql_error(api: GraphQLClient) -> None:
    body = await api.execute("{ personas { totalCount shoeSize } }")
    assert body.get("data") is None
    assert len(body["errors"]) == 1
    assert "shoeSize" in body["errors"][0]["message"]


async def test_unexpected_resolver_error_is_masked(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    await api.create_persona(name="Healthy")
    personas = database["personas"]
    await personas.delete_many({})
    await store_malformed_persona(database, api.principal)

    response = await api.http.post("/graphql", json={"query": PERSONAS})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body["data"] is None
    assert [error["message"] for error in body["errors"]] == ["Unexpected error."]
    assert body["errors"][0]["path"] == ["personas"]
    text = response.text
    for leak in ("Traceback", "not-an-object", "validation", "pydantic", "draft", "Snapshot"):
        assert leak not in text, leak
    assert set(body["errors"][0]) <= {"message", "locations", "path", "extensions"}
    # The request id in the error is the one in the response header, and in the server's log.
    assert body["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": response.headers["x-request-id"],
    }

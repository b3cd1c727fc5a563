"""API keys: every request needs a valid one; keys are made, shown once, stored hashed, revoked."""

import re
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.platform.database import MongoDatabase
from app.platform.settings import Settings
from app.server.asgi import create_app
from tests.support.client import (
    API_KEYS,
    CREATE,
    CREATE_KEY,
    REVOKE_KEY,
    GraphQLClient,
    random_key,
)

# Two writes in one request: if any resolver ran, a document would be stored.
WRITES = """
mutation {
  createPersona(input: {name: "Intruder"}) { persona { id } userErrors { code } }
  createApiKey(input: {name: "backdoor", role: ADMIN}) { key userErrors { code } }
}
"""
KEY_SHAPE = re.compile(r"^pa_([0-9a-f]{8})_([A-Za-z0-9_-]+)$")
STORED_FIELDS = {
    "_id",
    "workspace_id",
    "name",
    "role",
    "prefix",
    "secret_hash",
    "created_at",
    "last_used_at",
    "revoked_at",
}


@pytest.fixture
async def anonymous(
    database: MongoDatabase, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app on the tests' database that sends no key unless told to."""
    transport = httpx.ASGITransport(app=create_app(settings, database))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _counts(database: MongoDatabase) -> dict[str, int]:
    return {
        name: await database[name].count_documents({})
        for name in ("personas", "persona_versions", "api_keys", "workspaces")
    }


def _assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert list(body) == ["errors"]
    assert "API key" in body["errors"][0]["message"]


async def _create_key(api: GraphQLClient, name: str, role: str = "VIEWER") -> dict[str, Any]:
    payload: dict[str, Any] = (await api.data(CREATE_KEY, input={"name": name, "role": role}))[
        "createApiKey"
    ]
    assert payload["userErrors"] == []
    return payload


async def _revoke(api: GraphQLClient, key_id: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await api.data(REVOKE_KEY, input={"id": key_id}))["revokeApiKey"]
    assert payload["userErrors"] == []
    return payload


# ---- HTTP authentication -------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Basic x",
        "Bearer",
        "Bearer ",
        "Bearer pa_zz",
        "Bearer pa__secret",
        "Token " + "pa_0123abcd_" + "a" * 43,
        "unknown",
    ],
    ids=[
        "missing",
        "empty",
        "basic",
        "bearer-alone",
        "bearer-blank",
        "bearer-garbage",
        "no-prefix",
        "wrong-scheme",
        "unknown-key",
    ],
)
async def test_a_request_without_a_valid_key_is_refused_before_any_resolver(
    api: GraphQLClient,
    anonymous: httpx.AsyncClient,
    database: MongoDatabase,
    authorization: str | None,
) -> None:
    if authorization == "unknown":
        authorization = f"Bearer {random_key()}"
    headers = {} if authorization is None else {"Authorization": authorization}
    before = await _counts(database)

    response = await anonymous.post("/graphql", json={"query": WRITES}, headers=headers)

    _assert_unauthorized(response)
    assert await _counts(database) == before
    assert before["personas"] == 0


async def test_a_known_prefix_with_a_wrong_secret_is_refused(
    api: GraphQLClient, anonymous: httpx.AsyncClient, database: MongoDatabase
) -> None:
    prefix = "_".join(api.key.split("_")[:2])  # pa_<prefix>: the stored key is found
    forged = f"{prefix}_{secrets.token_urlsafe(32)}"
    before = await _counts(database)

    response = await anonymous.post("/graphql", json={"query": WRITES}, headers=_bearer(forged))

    _assert_unauthorized(response)
    assert await _counts(database) == before


async def test_a_revoked_key_is_refused_at_once(
    api: GraphQLClient, anonymous: httpx.AsyncClient, database: MongoDatabase
) -> None:
    issued = await _create_key(api, "short-lived", "ADMIN")
    works = await anonymous.post(
        "/graphql", json={"query": "{ voices { key } }"}, headers=_bearer(issued["key"])
    )
    assert works.status_code == 200
    assert "errors" not in works.json()

    revoked = await _revoke(api, issued["apiKey"]["id"])
    before = await _counts(database)
    response = await anonymous.post(
        "/graphql", json={"query": WRITES}, headers=_bearer(issued["key"])
    )

    _assert_unauthorized(response)
    assert await _counts(database) == before
    assert revoked["apiKey"]["revokedAt"] is not None
    again = await _revoke(api, issued["apiKey"]["id"])  # revoking twice is harmless
    assert again["apiKey"] == revoked["apiKey"]
    listed = {key["id"]: key for key in (await api.data(API_KEYS))["apiKeys"]}
    assert listed[issued["apiKey"]["id"]]["revokedAt"] == revoked["apiKey"]["revokedAt"]
    # The other keys are untouched.
    assert (await api.data("{ voices { key } }"))["voices"]


async def test_an_admin_may_revoke_its_own_key(
    api: GraphQLClient, anonymous: httpx.AsyncClient
) -> None:
    assert api.principal.key_id is not None
    own = next(
        key
        for key in (await api.data(API_KEYS))["apiKeys"]
        if api.key.startswith(key["prefix"] + "_")
    )
    await _revoke(api, own["id"])

    response = await anonymous.post(
        "/graphql", json={"query": "{ voices { key } }"}, headers=_bearer(api.key)
    )
    _assert_unauthorized(response)


async def test_probes_and_the_playground_need_no_key(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get("/healthz")).json() == {"status": "ok"}
    ready = await anonymous.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}
    page = await anonymous.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="(/graphiql-assets/[^"]+)"', page.text)
    assert assets
    for asset in assets:
        response = await anonymous.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 500


@pytest.mark.parametrize(
    ("method", "path", "accept"),
    [
        ("GET", "/graphql?query={voices{key}}", "application/json"),
        ("GET", "/graphql?query={voices{key}}", "text/html"),
        ("GET", "/graphql", "application/json"),
        ("POST", "/graphql", "text/html"),
    ],
)
async def test_graphql_itself_needs_a_key(
    anonymous: httpx.AsyncClient, method: str, path: str, accept: str
) -> None:
    body = {"query": "{ voices { key } }"} if method == "POST" else None
    response = await anonymous.request(method, path, json=body, headers={"Accept": accept})
    _assert_unauthorized(response)


async def test_a_browser_may_read_the_refusal_and_preflight_without_a_key(
    anonymous: httpx.AsyncClient,
) -> None:
    origin = "https://spa.example.com"
    preflight = await anonymous.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()

    refused = await anonymous.post(
        "/graphql", json={"query": "{ voices { key } }"}, headers={"Origin": origin}
    )
    _assert_unauthorized(refused)
    assert refused.headers["access-control-allow-origin"] == origin


# ---- keys over GraphQL ---------------------------------------------------------


async def test_a_new_key_is_shown_once_and_stored_only_as_a_hash(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    issued = await _create_key(api, "  Reporting  ")
    other = await _create_key(api, "Reporting 2")

    key = issued["key"]
    shape = KEY_SHAPE.match(key)
    assert shape is not None, key
    prefix, secret = shape.groups()
    assert len(secret) >= 32  # base64url: 6 bits a character, so at least 192 bits
    assert other["key"] != key
    assert not other["key"].startswith(f"pa_{prefix}_")
    record = issued["apiKey"]
    assert record["name"] == "Reporting"
    assert record["role"] == "VIEWER"
    assert record["prefix"] == f"pa_{prefix}"
    assert record["lastUsedAt"] is None
    assert record["revokedAt"] is None
    assert secret not in record["prefix"]

    listed = await api.execute(API_KEYS)
    assert secret not in str(listed)
    assert key not in str(listed)
    assert record in listed["data"]["apiKeys"]

    stored = await database["api_keys"].find_one({"prefix": prefix})
    assert stored is not None
    assert set(stored) == STORED_FIELDS
    assert re.fullmatch(r"[0-9a-f]{64}", stored["secret_hash"])
    everything = str(await database["api_keys"].find().to_list())
    for client_key in (key, other["key"], api.key):
        assert client_key.split("_", 2)[2] not in everything
    for value in stored.values():
        assert value not in (key, secret)


async def test_a_new_key_works_at_once_with_its_role_and_records_its_use(
    api: GraphQLClient, anonymous: httpx.AsyncClient
) -> None:
    persona = await api.create_persona()
    issued = await _create_key(api, "dashboard", "VIEWER")
    headers = _bearer(issued["key"])

    read = await anonymous.post(
        "/graphql", json={"query": "{ personas { edges { node { id } } } }"}, headers=headers
    )
    write = await anonymous.post(
        "/graphql", json={"query": CREATE, "variables": {"input": {"name": "X"}}}, headers=headers
    )

    assert read.status_code == 200
    assert read.json()["data"]["personas"]["edges"] == [{"node": {"id": persona["id"]}}]
    assert [e["code"] for e in write.json()["data"]["createPersona"]["userErrors"]] == ["FORBIDDEN"]
    listed = {key["id"]: key for key in (await api.data(API_KEYS))["apiKeys"]}
    used = listed[issued["apiKey"]["id"]]
    assert used["lastUsedAt"] is not None
    assert used["lastUsedAt"] >= used["createdAt"]


@pytest.mark.parametrize("name", ["", "   ", "k" * 101])
async def test_a_key_needs_a_name(api: GraphQLClient, database: MongoDatabase, name: str) -> None:
    before = await _counts(database)

    payload = (await api.data(CREATE_KEY, input={"name": name, "role": "VIEWER"}))["createApiKey"]

    assert payload["key"] is None
    assert payload["apiKey"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["name"], "INVALID")]
    assert await _counts(database) == before


async def test_an_unknown_key_id_cannot_be_revoked(api: GraphQLClient) -> None:
    payload = (await api.data(REVOKE_KEY, input={"id": "not-an-id"}))["revokeApiKey"]
    assert payload == {
        "apiKey": None,
        "userErrors": [{"field": ["id"], "message": "API key not found.", "code": "NOT_FOUND"}],
    }

"""POST /retrieval answers exactly as Dify's External Knowledge API specification says, to
exactly the request a Dify app sends."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.access.principal import Role
from tests.conftest import ClientFactory
from tests.support.client import REVOKE_KEY, GraphQLClient, mutate
from tests.support.retrieval import base_of, search, unknown_id

FAQ = (
    ("Opening hours", "The clinic is open from 8:00 to 18:00, Monday to Friday."),
    ("Parking", "Parking is free in the garage under the building."),
    ("Payments", "We take cards and cash; insurance claims are filed for you."),
)


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def dify_request(knowledge_id: str, query: str, top_k: int = 5, threshold: float = 0.0) -> Any:
    """The body Dify sends, metadata_condition included."""
    return {
        "knowledge_id": knowledge_id,
        "query": query,
        "retrieval_setting": {"top_k": top_k, "score_threshold": threshold},
        "metadata_condition": {"logical_operator": "and", "conditions": []},
    }


async def _post(http: httpx.AsyncClient, key: str | None, body: Any) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = key
    return await http.post("/retrieval", content=json.dumps(body), headers=headers)


async def test_records_are_what_search_finds_in_dify_shape(
    http: httpx.AsyncClient, client_for: ClientFactory
) -> None:
    runtime, viewer = await client_for(Role.RUNTIME), await client_for(Role.VIEWER)
    editor = await client_for(Role.EDITOR)
    base = await base_of(editor, "Clinic FAQ", *FAQ)
    for key in (runtime.key, viewer.key):
        response = await _post(http, f"Bearer {key}", dify_request(base["id"], "parking garage"))
        assert response.status_code == 200
        records = response.json()["records"]
        expected = await search(viewer, base, "parking garage")
        assert [r["content"] for r in records] == [p["text"] for p in expected]
        assert [r["score"] for r in records] == [p["score"] for p in expected]
        first = records[0]
        assert first["title"] == "Parking"
        assert first["metadata"] == {
            "knowledge_base_id": base["id"],
            "source_id": expected[0]["sourceId"],
            "start": 0,
        }
        assert all(0 <= r["score"] <= 1 for r in records)


async def test_top_k_and_score_threshold_bound_the_records(
    http: httpx.AsyncClient, api: GraphQLClient
) -> None:
    base = await base_of(api, "Clinic FAQ", *FAQ)
    every = (await _post(http, f"Bearer {api.key}", dify_request(base["id"], "the clinic"))).json()
    one = await _post(http, f"Bearer {api.key}", dify_request(base["id"], "the clinic", top_k=1))
    assert one.json()["records"] == every["records"][:1]
    best = every["records"][0]["score"]
    above = await _post(
        http, f"Bearer {api.key}", dify_request(base["id"], "the clinic", threshold=best)
    )
    assert [r["score"] for r in above.json()["records"]] == [best]
    nothing = await _post(http, f"Bearer {api.key}", dify_request(base["id"], "zeppelin"))
    assert (nothing.status_code, nothing.json()) == (200, {"records": []})


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer ", "Basic abc", "pa_abc"], ids=repr
)
async def test_a_header_not_bearer_is_error_1001(
    http: httpx.AsyncClient, api: GraphQLClient, authorization: str | None
) -> None:
    base = await base_of(api, "Clinic FAQ", *FAQ)
    response = await _post(http, authorization, dify_request(base["id"], "parking"))
    assert response.status_code == 403
    assert response.json() == {
        "error_code": 1001,
        "error_msg": "Invalid Authorization header format. Expected 'Bearer <api-key>' format.",
    }


async def test_a_key_that_is_not_valid_is_error_1002(
    http: httpx.AsyncClient, api: GraphQLClient, client_for: ClientFactory
) -> None:
    base = await base_of(api, "Clinic FAQ", *FAQ)
    revoked = await client_for(Role.VIEWER)
    await mutate(api, REVOKE_KEY, id=_key_id(await api.data("{ apiKeys { id name } }"), revoked))
    for key in ("pa_not_a_key", revoked.key):
        response = await _post(http, f"Bearer {key}", dify_request(base["id"], "parking"))
        assert response.status_code == 403
        assert response.json() == {"error_code": 1002, "error_msg": "Authorization failed."}


def _key_id(keys: dict[str, Any], client: GraphQLClient) -> str:
    (found,) = [k["id"] for k in keys["apiKeys"] if k["name"] == client.principal.name]
    return str(found)


async def test_a_knowledge_base_not_in_the_keys_workspace_is_error_2001(
    http: httpx.AsyncClient, api: GraphQLClient, client_for: ClientFactory
) -> None:
    other = await client_for(Role.ADMIN, workspace="globex")
    theirs = await base_of(other, "Their FAQ", *FAQ)
    for knowledge_id in (theirs["id"], unknown_id("KnowledgeBase"), "AAA-BBB-CCC"):
        response = await _post(http, f"Bearer {api.key}", dify_request(knowledge_id, "parking"))
        assert response.status_code == 404
        assert response.json() == {"error_code": 2001, "error_msg": "The knowledge does not exist."}


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        [],
        {"query": "parking", "retrieval_setting": {"top_k": 5, "score_threshold": 0}},
        {"knowledge_id": "x", "query": "parking"},
        {"knowledge_id": "x", "query": "parking", "retrieval_setting": {"top_k": "5"}},
    ],
    ids=["text", "array", "no id", "no setting", "top_k text"],
)
async def test_a_body_dify_never_sends_is_400(
    http: httpx.AsyncClient, api: GraphQLClient, body: Any
) -> None:
    response = await _post(http, f"Bearer {api.key}", body)
    assert response.status_code == 400
    assert response.json()["error_code"] == 4001


@pytest.mark.parametrize(
    ("query", "top_k", "threshold"),
    [("", 5, 0.0), ("x" * 1001, 5, 0.0), ("q", 0, 0.0), ("q", 51, 0.0), ("q", 5, 1.5)],
)
async def test_limits_are_400_and_name_the_limit(
    http: httpx.AsyncClient, api: GraphQLClient, query: str, top_k: int, threshold: float
) -> None:
    base = await base_of(api, "Clinic FAQ", *FAQ)
    response = await _post(
        http, f"Bearer {api.key}", dify_request(base["id"], query, top_k, threshold)
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == 4001
    assert "x" * 101 not in response.json()["error_msg"]


async def test_only_post_is_served(http: httpx.AsyncClient, api: GraphQLClient) -> None:
    response = await http.get("/retrieval", headers={"Authorization": f"Bearer {api.key}"})
    assert response.status_code == 405

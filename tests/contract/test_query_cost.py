"""The cost limit: fields count, `first` (or the default page) multiplies what a connection
holds, and introspection lists multiply too, so deep introspection is bounded like data.
GraphiQL's own introspection query stays well under the default limit."""

from typing import Any

import httpx
from graphql import get_introspection_query
from starlette.applications import Starlette

from app.platform.database import MongoDatabase
from app.platform.settings import Settings
from app.server.asgi import create_app
from graphql_schema.schema import MAX_COST
from tests.support.client import GraphQLClient

PAGE = "personas{page} {{ edges {{ node {{ id }} }} }}"


# graphql-core refuses `fields` nested three deep; through `args`, two levels still fan out
# to some 10^5 objects: the cost counts every introspection list, not only `fields`.
TYPES = "{ __schema { types { %s } } }"
ONE_LEVEL = TYPES % "fields { args { type { name } } }"
TWO_LEVELS = TYPES % "fields { args { type { fields { args { type { name } } } } } }"


def _refusal(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
    return error  # type: ignore[no-any-return]


async def _client(app: Starlette, api: GraphQLClient) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {api.key}"},
    )


async def test_graphiqls_full_introspection_query_is_under_the_default_limit(
    api: GraphQLClient,
) -> None:
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    body = await api.execute(query)
    assert "errors" not in body, body


async def test_deep_introspection_is_refused_with_its_cost(api: GraphQLClient) -> None:
    assert "errors" not in await api.execute(ONE_LEVEL)
    error = _refusal(await api.execute(TWO_LEVELS))
    extensions = error["extensions"]
    assert extensions == {"code": "QUERY_TOO_COMPLEX", "cost": 212_112, "maxCost": MAX_COST}
    assert f"costs 212112, over the limit of {MAX_COST}" in error["message"]


async def test_pages_multiply_and_the_limit_is_a_setting(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    app = create_app(Settings(graphql_max_cost=300), database)
    async with await _client(app, api) as http:
        # edges { node { id } } costs 3; the connection 1 + its page times that.
        for page, cost in (("(first: 10)", 31), ("", 61), ("(first: 99)", 298)):
            response = await http.post(
                "/graphql", json={"query": "{ " + PAGE.format(page=page) + " }"}
            )
            assert "errors" not in response.json(), (page, cost, response.json())
        for query, cost in (
            ("{ " + PAGE.format(page="(first: 100)") + " }", 301),
            # A variable page is costed as the largest: the document is validated once for all.
            ("query($n: Int) { " + PAGE.format(page="(first: $n)") + " }", 301),
        ):
            response = await http.post("/graphql", json={"query": query, "variables": {"n": 1}})
            extensions = _refusal(response.json())["extensions"]
            assert extensions == {"code": "QUERY_TOO_COMPLEX", "cost": cost, "maxCost": 300}


async def test_a_fragment_costs_at_every_spread(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    app = create_app(Settings(graphql_max_cost=300), database)
    fragment = " fragment P on PersonaConnection { edges { node { id } } }"
    async with await _client(app, api) as http:
        for spreads, refused in ((4, False), (5, True)):
            aliases = " ".join(f"a{n}: personas {{ ...P }}" for n in range(spreads))
            response = await http.post("/graphql", json={"query": "{ " + aliases + " }" + fragment})
            body = response.json()
            if not refused:
                assert "errors" not in body, body
                continue
            assert _refusal(body)["extensions"]["cost"] == 5 * 61

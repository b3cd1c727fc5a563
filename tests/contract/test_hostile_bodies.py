"""Hostile HTTP bodies: each is answered 400 in GraphQL's error shape (code BAD_REQUEST, the
request id), runs nothing and logs no traceback. Nesting is bounded before decoding."""

import json
from typing import Any

import pytest

from app.platform.database import MongoDatabase
from app.platform.jsonbounds import MAX_DEPTH
from tests.support.client import CREATE, GraphQLClient
from tests.support.refusals import assert_quiet, bad_request, personas_stored

JSON = {"Content-Type": "application/json"}
TYPENAME = '"{ __typename }"'


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _typename(**fields: bytes) -> bytes:
    """A `{ __typename }` body with more fields, each the given JSON text."""
    more = b"".join(b', "' + name.encode() + b'": ' + text for name, text in fields.items())
    return b'{"query": ' + TYPENAME.encode() + more + b"}"


def _create(variables: bytes) -> bytes:
    """A createPersona body whose `variables` are the given JSON text."""
    return b'{"query": ' + json.dumps(CREATE).encode() + b', "variables": ' + variables + b"}"


HOSTILE_BODIES = {
    "variables-100000-deep": _create(b'{"input": {"x": ' + _nested(100_000) + b"}}"),
    "query-100000-deep": b'{"query": ' + _nested(100_000) + b"}",
    "extensions-100000-deep": _typename(extensions=b'{"a": ' + _nested(100_000) + b"}"),
    "objects-100000-deep": _typename(variables=b'{"a": ' * 100_000 + b"1" + b"}" * 100_000),
    "invalid-utf8-in-a-string": _create(b'{"input": {"name": "Caf\xe9"}}'),
    "invalid-utf8-start-byte": b'{"query": "{ __typename }\xff"}',
    "utf8-encoded-surrogate": _create(b'{"input": {"name": "\xed\xa0\x80"}}'),
    "overlong-utf8": _create(b'{"input": {"name": "\xc0\xaf"}}'),
    "utf16-body": '{"query": "{ __typename }"}'.encode("utf-16"),
    "null": b"null",
    "number": b"12",
    "string": b'"{ __typename }"',
    "true": b"true",
    "empty-array": b"[]",
    "batch": b"[" + _create(b'{"input": {"name": "Batched"}}') + b"]",
    "empty": b"",
    "not-json": b"{query: { __typename }}",
    "truncated": _create(b'{"input": {"name": "Cut'),
    "integer-of-5000-digits": _create(b'{"input": {"name": "Big", "n": ' + b"9" * 5000 + b"}}"),
    "variables-an-array": _create(b'[{"input": {"name": "Listed"}}]'),
    "variables-a-string": _create(b'"{\\"input\\": {\\"name\\": \\"Quoted\\"}}"'),
    "variables-a-number": _create(b"12"),
    "operation-name-a-number": _typename(operationName=b"5"),
    "operation-name-an-object": _typename(operationName=b'{"a": 1}'),
    "operation-name-of-1000-characters": _typename(operationName=b'"' + b"A" * 1000 + b'"'),
    "no-query": b'{"variables": {}}',
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
async def test_a_hostile_body_is_a_bad_request(
    api: GraphQLClient,
    database: MongoDatabase,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
) -> None:
    response = await api.http.post("/graphql", content=body, headers=JSON)
    message = bad_request(response)
    assert len(message) < 200
    assert await personas_stored(database) == 0
    assert_quiet(caplog)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            HOSTILE_BODIES["variables-100000-deep"],
            f"The request body nests arrays and objects more than {MAX_DEPTH} deep.",
            id="deep",
        ),
        pytest.param(
            HOSTILE_BODIES["invalid-utf8-in-a-string"],
            "The request body is not valid UTF-8.",
            id="utf8",
        ),
        pytest.param(
            HOSTILE_BODIES["null"],
            'The request body must be a JSON object such as {"query": "{ __typename }"}.',
            id="null",
        ),
        pytest.param(
            HOSTILE_BODIES["batch"],
            "Batching is not enabled: send one operation, a JSON object.",
            id="batch",
        ),
        pytest.param(
            HOSTILE_BODIES["variables-an-array"],
            "The GraphQL operation's `variables` must be an object or null, if provided.",
            id="variables",
        ),
    ],
)
async def test_a_bad_request_says_what_is_wrong(
    api: GraphQLClient, body: bytes, expected: str
) -> None:
    response = await api.http.post("/graphql", content=body, headers=JSON)
    assert bad_request(response) == expected


async def test_a_bad_request_carries_the_clients_request_id(api: GraphQLClient) -> None:
    response = await api.http.post(
        "/graphql", content=b"null", headers={**JSON, "X-Request-ID": "trace-14.b"}
    )
    bad_request(response)
    assert response.json()["errors"][0]["extensions"]["requestId"] == "trace-14.b"


async def test_an_unsupported_content_type_is_a_bad_request_in_json(api: GraphQLClient) -> None:
    response = await api.http.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"Content-Type": "text/plain"}
    )
    assert bad_request(response) == "Unsupported content type"


# --- what stays accepted ----------------------------------------------------------------------


async def test_a_body_nested_exactly_to_the_limit_is_served(api: GraphQLClient) -> None:
    # The body is one level, `variables` another: MAX_DEPTH in all.
    at_limit = _typename(variables=b'{"a": ' + _nested(MAX_DEPTH - 2) + b"}")
    response = await api.http.post("/graphql", content=at_limit, headers=JSON)
    assert response.json() == {"data": {"__typename": "Query"}}

    over = _typename(variables=b'{"a": ' + _nested(MAX_DEPTH - 1) + b"}")
    response = await api.http.post("/graphql", content=over, headers=JSON)
    assert "more than" in bad_request(response)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" * 10_000, id="brackets"),
        pytest.param('"[{' * 5_000, id="quotes-and-brackets"),
        pytest.param('\\"[' * 5_000 + "\\\\", id="escaped-quotes"),
        pytest.param("\\\\[" * 5_000, id="escaped-backslashes"),
    ],
)
async def test_brackets_inside_strings_are_text_not_nesting(
    api: GraphQLClient, database: MongoDatabase, text: str
) -> None:
    # The depth check must not count what a prompt or name holds: here, a very long name.
    name = "Brackets " + text
    body = json.dumps({"query": CREATE, "variables": {"input": {"name": name[:200]}}})
    response = await api.http.post("/graphql", content=body.encode(), headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["createPersona"]["userErrors"] == []
    search = json.dumps({"query": TYPENAME.strip('"'), "variables": {"unused": text}})
    response = await api.http.post("/graphql", content=search.encode(), headers=JSON)
    assert response.json() == {"data": {"__typename": "Query"}}
    assert await personas_stored(database) == 1


async def test_a_body_in_utf8_with_escaped_surrogate_pairs_is_served(
    api: GraphQLClient,
) -> None:
    body = _create(b'{"input": {"name": "Caf\xc3\xa9 \\ud83d\\ude00"}}')
    response = await api.http.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    created = response.json()["data"]["createPersona"]["persona"]
    assert created["draft"]["name"] == "Café \U0001f600"


# --- GET ------------------------------------------------------------------------------------


async def test_get_with_deeply_nested_variables_is_a_bad_request(
    api: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    # 5,000 deep: as deep as a URL httpx will send can nest.
    params = {"query": "{ __typename }", "variables": '{"a": ' + "[" * 5_000 + "]" * 5_000 + "}"}
    response = await api.http.get("/graphql", params=params)
    assert bad_request(response) == (
        f"The `variables` parameter nests arrays and objects more than {MAX_DEPTH} deep."
    )
    assert_quiet(caplog)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param(
            {"variables": "[1"}, "The `variables` parameter is not valid JSON.", id="not-json"
        ),
        pytest.param(
            {"variables": "[1]"},
            "The GraphQL operation's `variables` must be an object or null, if provided.",
            id="an-array",
        ),
        pytest.param(
            {"extensions": '{"a": ' + "{" * 100 + "}" * 100 + "}"},
            f"The `extensions` parameter nests arrays and objects more than {MAX_DEPTH} deep.",
            id="deep-extensions",
        ),
        pytest.param(
            {"variables": '{"a": "\\udc00"}'},
            "The `variables` parameter holds an unpaired UTF-16 surrogate (not Unicode text)"
            " at variables.a.",
            id="surrogate",
        ),
    ],
)
async def test_get_with_bad_parameters_is_a_bad_request(
    api: GraphQLClient, params: dict[str, str], expected: str
) -> None:
    response = await api.http.get("/graphql", params={"query": "{ __typename }", **params})
    assert bad_request(response) == expected


@pytest.mark.parametrize("variables", ['{"a": [[1]]}', "null", "{}"])
async def test_get_with_plain_variables_is_served(api: GraphQLClient, variables: str) -> None:
    response = await api.http.get(
        "/graphql", params={"query": "{ __typename }", "variables": variables}
    )
    body: dict[str, Any] = response.json()
    assert body == {"data": {"__typename": "Query"}}

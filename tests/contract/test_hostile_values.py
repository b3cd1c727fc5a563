"""Hostile values in well-formed requests: lone surrogates, over-long strings, cursors that are
not numbers of ours. Each gets a clear coded error (BAD_REQUEST for text that is not Unicode,
BAD_USER_INPUT for an argument, a userErrors entry for an input field), changes nothing,
logs no traceback, and quotes at most about 100 characters of what was sent."""

import base64
import json
from typing import Any

import pytest

from app.library.locales import MAX_LOCALE
from app.personas.pages import MAX_SEARCH
from app.platform.database import MongoDatabase
from tests.support.client import (
    CREATE,
    PUBLISH,
    REMOVE_VOICE,
    GraphQLClient,
    errors_of,
    mutate,
    stored,
    voice_input,
)
from tests.support.refusals import assert_quiet, bad_request, bad_user_input, personas_stored

JSON = {"Content-Type": "application/json"}
LONE = "\\ud800"  # as JSON escapes it: the text "\ud800", six characters
SEARCH = "query($s: String) { personas(search: $s) { totalCount edges { cursor } } }"
VOICES = "query($l: Locale) { voices(locale: $l) { key } }"
PERSONAS_AFTER = "query($c: String) { personas(after: $c) { totalCount edges { cursor } } }"
VERSIONS_AFTER = """
query($id: ID!, $c: String) { persona(id: $id) { versions(after: $c) { edges { cursor } } } }
"""
# 45,000 characters of the shape langcodes' parser recurses on, subtag by subtag.
LONG_LOCALE = "en-" + "-".join(["abcdefgh"] * 5_000)


def _body(query: str, variables_json: str) -> bytes:
    """A body whose `variables` are JSON text as given, so escapes reach the server as written."""
    return f'{{"query": {json.dumps(query)}, "variables": {variables_json}}}'.encode()


def _cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


# --- unpaired surrogates ----------------------------------------------------------------------

SURROGATE_BODIES = {
    "persona-name": (
        _body(CREATE, f'{{"input": {{"name": "Sales {LONE}"}}}}'),
        "variables.input.name",
    ),
    "voice-prompt": (
        _body(
            CREATE,
            '{"input": {"name": "Sales", "voiceConfigurations": [{"locale": "en-US", "prompt": '
            f'"Hello {LONE}", "voiceKey": "sara-en-us-f", "modelKey": "gpt-4o-mini"}}]}}}}',
        ),
        "variables.input.voiceConfigurations.0.prompt",
    ),
    "low-surrogate-alone": (
        _body(CREATE, '{"input": {"name": "Sales \\udc00 desk"}}'),
        "variables.input.name",
    ),
    "reversed-pair": (
        _body(CREATE, '{"input": {"name": "\\ude00\\ud83d"}}'),
        "variables.input.name",
    ),
    "search": (_body(SEARCH, f'{{"s": "{LONE}"}}'), "variables.s"),
    "locale-variable": (_body(VOICES, f'{{"l": "en-{LONE}"}}'), "variables.l"),
    "unused-variable": (_body("{ __typename }", f'{{"x": ["ok", "{LONE}"]}}'), "variables.x.1"),
    "variable-name": (_body("{ __typename }", f'{{"x{LONE}": 1}}'), "variables"),
    "query-text": (
        f'{{"query": "{{ personas(search: \\"{LONE}\\") {{ totalCount }} }}"}}'.encode(),
        "query",
    ),
    "operation-name": (
        f'{{"query": "query A {{ __typename }}", "operationName": "A{LONE}"}}'.encode(),
        "operationName",
    ),
}


@pytest.mark.parametrize(("body", "where"), SURROGATE_BODIES.values(), ids=SURROGATE_BODIES.keys())
async def test_an_unpaired_surrogate_anywhere_in_the_body_is_a_bad_request(
    api: GraphQLClient,
    database: MongoDatabase,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    where: str,
) -> None:
    response = await api.http.post("/graphql", content=body, headers=JSON)
    assert bad_request(response) == (
        f"The request body holds an unpaired UTF-16 surrogate (not Unicode text) at {where}."
    )
    assert await personas_stored(database) == 0
    assert_quiet(caplog)


async def test_a_surrogate_escape_in_a_graphql_string_literal_is_refused_by_the_parser(
    api: GraphQLClient, database: MongoDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    # GraphQL's own "\ud800" escape: graphql-core refuses a lone one while parsing.
    query = 'mutation { createPersona(input: {name: "Sales \\ud800"}) { persona { id } } }'
    response = await api.http.post("/graphql", json={"query": query})
    body: dict[str, Any] = response.json()
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["message"] == "Syntax Error: Invalid Unicode escape sequence: '\\ud800'."
    assert await personas_stored(database) == 0
    assert_quiet(caplog)


# --- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [MAX_SEARCH + 1, 10_000, 900_000])
async def test_a_search_longer_than_the_limit_is_bad_user_input(
    api: GraphQLClient, caplog: pytest.LogCaptureFixture, length: int
) -> None:
    await api.create_persona(name="Sales")
    response = await api.http.post(
        "/graphql", json={"query": SEARCH, "variables": {"s": "a" * length}}
    )
    assert bad_user_input(response) == f"search must be at most {MAX_SEARCH} characters."
    assert_quiet(caplog)


async def test_a_search_of_the_limit_is_served(api: GraphQLClient) -> None:
    await api.create_persona(name="S" * MAX_SEARCH)
    data = await api.data(SEARCH, s="s" * MAX_SEARCH)
    assert data["personas"]["totalCount"] == 1


# --- locales ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "locale",
    [
        pytest.param(LONG_LOCALE, id="45000-characters"),
        pytest.param("en-" + "a" * 900_000, id="900-KB"),
        pytest.param("en-" + "-".join(["abcdefgh"] * 7), id="65-characters"),
    ],
)
async def test_a_locale_argument_longer_than_the_limit_is_bad_user_input(
    api: GraphQLClient, caplog: pytest.LogCaptureFixture, locale: str
) -> None:
    assert len(locale) > MAX_LOCALE
    response = await api.http.post("/graphql", json={"query": VOICES, "variables": {"l": locale}})
    message = bad_user_input(response)
    assert f"over {MAX_LOCALE} characters" in message
    assert len(message) < 200, message
    assert_quiet(caplog)


async def test_a_locale_of_the_limit_is_parsed(api: GraphQLClient) -> None:
    # 64 characters of a well-formed, valid tag: private use subtags.
    locale = "en-x-" + "-".join(["abcdefgh"] * 6) + "-abcde"
    assert len(locale) == MAX_LOCALE
    data = await api.data(VOICES, l=locale)
    assert data["voices"] == []


async def test_a_long_locale_in_an_input_is_a_user_error_at_its_path(
    api: GraphQLClient, database: MongoDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    payload = await mutate(
        api,
        CREATE,
        name="Sales",
        voiceConfigurations=[voice_input(), voice_input(locale=LONG_LOCALE)],
    )
    assert payload["persona"] is None
    assert errors_of(payload) == [("INVALID", ["voiceConfigurations", "1", "locale"])]
    assert len(payload["userErrors"][0]["message"]) < 200
    assert await personas_stored(database) == 0
    assert_quiet(caplog)


async def test_removing_a_long_locale_is_a_user_error(
    api: GraphQLClient, database: MongoDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    persona = await api.create_persona(voiceConfigurations=[voice_input()])
    before = await stored(database)
    payload = await mutate(
        api, REMOVE_VOICE, personaId=persona["id"], expectedRevision=1, locale=LONG_LOCALE
    )
    assert errors_of(payload) == [("INVALID", ["locale"])]
    assert len(payload["userErrors"][0]["message"]) < 200
    assert await stored(database) == before
    assert_quiet(caplog)


async def test_an_unknown_catalog_key_is_quoted_in_part(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    voice = voice_input(voiceKey="v" * 50_000, modelKey="m" * 50_000)
    payload = await mutate(api, CREATE, name="Sales", voiceConfigurations=[voice])
    assert errors_of(payload) == [
        ("INVALID", ["voiceConfigurations", "0", "voiceKey"]),
        ("INVALID", ["voiceConfigurations", "0", "modelKey"]),
    ]
    for error in payload["userErrors"]:
        assert len(error["message"]) < 200, error["message"][:300]
        assert "(50000 characters)" in error["message"]
    assert await personas_stored(database) == 0


# --- cursors ----------------------------------------------------------------------------------

NOT_OUR_NUMBERS = {
    "thirty-nines": "9" * 30,
    "int64-max-plus-one": str(2**63),
    "superscript-two": "1²",
    "arabic-indic-digits": "١٢",
    "fullwidth-digits": "\uff11\uff12",
    "signed": "+5",
    "spaced": " 5",
}


@pytest.mark.parametrize("key", NOT_OUR_NUMBERS.values(), ids=NOT_OUR_NUMBERS.keys())
async def test_a_persona_cursor_that_is_not_a_number_of_ours_is_bad_user_input(
    api: GraphQLClient, caplog: pytest.LogCaptureFixture, key: str
) -> None:
    await api.create_persona(name="Sales")
    response = await api.http.post(
        "/graphql", json={"query": PERSONAS_AFTER, "variables": {"c": _cursor("cursor", key)}}
    )
    assert bad_user_input(response) == "after is not a cursor returned by this API."
    assert_quiet(caplog)


@pytest.mark.parametrize("key", NOT_OUR_NUMBERS.values(), ids=NOT_OUR_NUMBERS.keys())
async def test_a_version_cursor_that_is_not_a_number_of_ours_is_bad_user_input(
    api: GraphQLClient, caplog: pytest.LogCaptureFixture, key: str
) -> None:
    persona = await api.create_persona(name="Sales", voiceConfigurations=[voice_input()])
    await mutate(api, PUBLISH, personaId=persona["id"], expectedRevision=1)
    variables = {"id": persona["id"], "c": _cursor("version", key)}
    response = await api.http.post(
        "/graphql", json={"query": VERSIONS_AFTER, "variables": variables}
    )
    body: dict[str, Any] = response.json()
    (error,) = body["errors"]
    assert error["message"] == "after is not a cursor returned by this API."
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "requestId": response.headers["x-request-id"],
    }
    assert_quiet(caplog)


async def test_the_largest_int64_cursor_is_served_as_an_ordinary_position(
    api: GraphQLClient,
) -> None:
    await api.create_persona(name="Sales")
    data = await api.data(PERSONAS_AFTER, c=_cursor("cursor", str(2**63 - 1)))
    assert data["personas"]["totalCount"] == 1
    assert [edge["cursor"] for edge in data["personas"]["edges"]] == [_cursor("cursor", "1")]


async def test_an_over_long_cursor_is_bad_user_input(api: GraphQLClient) -> None:
    response = await api.http.post(
        "/graphql",
        json={"query": PERSONAS_AFTER, "variables": {"c": _cursor("cursor", "1" + "0" * 5000)}},
    )
    assert bad_user_input(response) == "after is not a cursor returned by this API."

"""A query text is parsed and validated once: the limits still hold on cached documents, and a
cached result belongs to its own document and schema only."""

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.access.keys import issue_key, workspace_named
from app.access.principal import Role
from app.platform.database import MongoDatabase
from app.platform.settings import Settings
from app.server.asgi import create_app
from graphql_schema.schema import MAX_DEPTH, MAX_TOKENS, CachedParsing, CachedValidation, CacheUse
from tests.support.client import GraphQLClient

REQUESTS = "app.requests"


def _unique(prefix: str) -> str:
    """An operation name no other test sends, so the query text is new to the caches."""
    return f"{prefix}_{uuid.uuid4().hex}"


def _messages(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [error["message"] for error in response.json().get("errors") or []]


def _too_deep(name: str) -> str:
    fields = [f"level{index}" for index in range(MAX_DEPTH + 2)]
    selection = "leaf"
    for field in reversed(fields):
        selection = f"{field} {{ {selection} }}"
    return (
        f'mutation {name} {{ createPersona(input: {{name: "Too deep"}}) {{ persona {{ '
        f"draft {{ voiceConfigurations {{ voice {{ {selection} }} }} }} }} }} }}"
    )


def _depth_refusals(response: httpx.Response) -> list[str]:
    """The operations the depth limit refused (the query also asks for fields that do not
    exist below the schema's leaves; those errors come with it)."""
    suffix = f"' exceeds maximum operation depth of {MAX_DEPTH}"
    return [
        message.removeprefix("'").removesuffix(suffix)
        for message in _messages(response)
        if message.endswith(suffix)
    ]


def _since(before: CacheUse, after: CacheUse) -> tuple[int, int]:
    """(hits, misses) between two readings."""
    return after.hits - before.hits, after.misses - before.misses


@pytest.fixture
def request_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO):
        yield caplog


async def test_the_same_query_text_is_parsed_and_validated_once(api: GraphQLClient) -> None:
    await api.create_persona(name="Cached")
    query = f"query {_unique('Cached')} {{ personas(first: 5) {{ totalCount }} }}"
    parsed, validated = CachedParsing.use(), CachedValidation.use()

    first = await api.http.post("/graphql", json={"query": query})
    assert first.json() == {"data": {"personas": {"totalCount": 1}}}
    assert _since(parsed, CachedParsing.use()) == (0, 1)
    assert _since(validated, CachedValidation.use()) == (0, 1)

    parsed, validated = CachedParsing.use(), CachedValidation.use()
    for _ in range(3):
        again = await api.http.post("/graphql", json={"query": query})
        assert again.json() == first.json()
    assert _since(parsed, CachedParsing.use()) == (3, 0)
    assert _since(validated, CachedValidation.use()) == (3, 0)

    # Variables are not part of the document: other values still reuse it, and still apply.
    parsed = CachedParsing.use()
    named = f"query {_unique('Paged')}($first: Int!) {{ personas(first: $first) {{ totalCount }} }}"
    served = await api.http.post("/graphql", json={"query": named, "variables": {"first": 5}})
    assert served.json() == {"data": {"personas": {"totalCount": 1}}}
    refused = await api.http.post("/graphql", json={"query": named, "variables": {"first": 500}})
    assert _messages(refused) == ["first must be between 0 and 100."]
    assert _since(parsed, CachedParsing.use()) == (1, 1)


async def test_an_over_deep_query_is_refused_again_from_the_cache(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    name = _unique("Deep")
    validated = CachedValidation.use()
    for _ in range(2):
        response = await api.http.post("/graphql", json={"query": _too_deep(name)})
        assert response.json()["data"] is None
        assert _depth_refusals(response) == [name]
    assert _since(validated, CachedValidation.use()) == (1, 1)
    assert await database["personas"].count_documents({}) == 0


async def test_a_cached_refusal_is_not_the_answer_to_another_query(api: GraphQLClient) -> None:
    first, second = _unique("DeepA"), _unique("DeepB")
    for name in (first, second, first, second):
        response = await api.http.post("/graphql", json={"query": _too_deep(name)})
        assert _depth_refusals(response) == [name]

    # The same shape of document, one field name apart: each gets its own errors, or none.
    operation = _unique("Fields")
    unknown = f"query {operation} {{ personas(first: 1) {{ shoeSize }} }}"
    known = f"query {operation} {{ personas(first: 1) {{ totalCount }} }}"
    for _ in range(2):
        refused = await api.http.post("/graphql", json={"query": unknown})
        assert _messages(refused) == ["Cannot query field 'shoeSize' on type 'PersonaConnection'."]
        served = await api.http.post("/graphql", json={"query": known})
        assert served.json() == {"data": {"personas": {"totalCount": 0}}}


async def test_a_document_of_too_many_tokens_is_refused_every_time_and_never_cached(
    api: GraphQLClient, database: MongoDatabase, request_log: pytest.LogCaptureFixture
) -> None:
    query = (
        f'mutation {_unique("Tokens")} {{ createPersona(input: {{name: "Tokens"}}) '
        "{ persona { id draft { " + " memory" * MAX_TOKENS + " } } } }"
    )
    validated = CachedValidation.use()
    for _ in range(2):
        parsed = CachedParsing.use()
        response = await api.http.post("/graphql", json={"query": query})
        assert response.json()["data"] is None
        messages = _messages(response)
        assert len(messages) == 1
        assert f"more than {MAX_TOKENS} tokens" in messages[0], messages
        # Looked up, refused by the parser, and not kept: the next try parses it again.
        assert _since(parsed, CachedParsing.use()) == (0, 1)
    assert _since(validated, CachedValidation.use()) == (0, 0)
    assert await database["personas"].count_documents({}) == 0
    outcomes = [r.__dict__["outcome"] for r in request_log.records if r.name == REQUESTS]
    assert outcomes == ["graphql_errors", "graphql_errors"]


async def test_a_syntax_error_is_refused_every_time_and_logged_as_an_error(
    api: GraphQLClient, request_log: pytest.LogCaptureFixture
) -> None:
    query = f"query {_unique('Broken')} {{ personas(first: 1) {{ totalCount }}"
    for _ in range(2):
        response = await api.http.post("/graphql", json={"query": query})
        assert response.json()["data"] is None
        assert _messages(response) == ["Syntax Error: Expected Name, found <EOF>."]
    outcomes = [r.__dict__["outcome"] for r in request_log.records if r.name == REQUESTS]
    assert outcomes == ["graphql_errors", "graphql_errors"]


async def _admin_of(app: Any) -> httpx.AsyncClient:
    owner = await workspace_named("acme")
    assert owner.id is not None
    issued = await issue_key(owner.id, f"cache admin {uuid.uuid4().hex[:6]}", Role.ADMIN)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {issued.secret}"},
    )


async def test_a_validation_result_belongs_to_its_schema(database: MongoDatabase) -> None:
    # One query text, served by a schema with introspection and by one without, in turns.
    query = f'query {_unique("Describe")} {{ __type(name: "Persona") {{ name }} }}'
    described = create_app(Settings(), database)
    undescribed = create_app(Settings(graphql_introspection=False), database)
    async with await _admin_of(described) as open_, await _admin_of(undescribed) as closed:
        for _ in range(2):
            allowed = await open_.post("/graphql", json={"query": query})
            assert allowed.json() == {"data": {"__type": {"name": "Persona"}}}
            refused = await closed.post("/graphql", json={"query": query})
            assert refused.json()["data"] is None
            messages = _messages(refused)
            assert messages
            assert all("introspection" in message.lower() for message in messages)

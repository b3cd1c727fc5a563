"""Who may retrieve, from which workspace, and the bounds of every argument."""

from typing import Any

import pytest
from beanie import PydanticObjectId

from app.access.permissions import Operation
from app.access.principal import Forbidden, Role
from app.personas.retrieval import search_knowledge_base
from tests.conftest import ClientFactory
from tests.support.client import DELETE, GraphQLClient, errors_of, mutate
from tests.support.library import decoded_id
from tests.support.retrieval import (
    RETRIEVE,
    SEARCH,
    base_of,
    error_codes,
    published_with,
    retrieve,
    search,
    unknown_id,
)

PARKING = ("Parking", "Free parking is in the underground garage on Cedar Street.")


async def _setup(api: GraphQLClient) -> tuple[dict[str, Any], dict[str, Any], int]:
    base = await base_of(api, "Front desk", PARKING)
    persona, version = await published_with(api, {"knowledgeBaseId": base["id"]})
    return base, persona, version


def _retrieval(persona: dict[str, Any], version: int, **overrides: Any) -> dict[str, Any]:
    return {
        "personaId": persona["id"],
        "version": version,
        "channel": "VOICE",
        "q": "parking",
        **overrides,
    }


BOUNDS = [
    pytest.param({"q": ""}, "query", id="empty query"),
    pytest.param({"q": "p" * 1_001}, "query", id="query too long"),
    pytest.param({"topK": 0}, "topK", id="topK 0"),
    pytest.param({"topK": 51}, "topK", id="topK 51"),
    pytest.param({"topK": -3}, "topK", id="topK negative"),
    pytest.param({"minScore": -0.01}, "minScore", id="minScore negative"),
    pytest.param({"minScore": 1.01}, "minScore", id="minScore above 1"),
]


@pytest.mark.parametrize(("overrides", "argument"), BOUNDS)
async def test_arguments_out_of_bounds_are_bad_user_input(
    api: GraphQLClient, overrides: dict[str, Any], argument: str
) -> None:
    base, persona, version = await _setup(api)
    for document, variables in (
        (RETRIEVE, _retrieval(persona, version, **overrides)),
        (SEARCH, {"id": base["id"], "q": "parking", **overrides}),
    ):
        body = await api.execute(document, **variables)
        assert body["data"] is None
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert argument in body["errors"][0]["message"]


async def test_the_bounds_themselves_are_allowed(api: GraphQLClient) -> None:
    base, persona, version = await _setup(api)
    longest = "parking " * 125  # 1,000 characters
    for overrides in ({"q": longest}, {"topK": 1}, {"topK": 50}, {"minScore": 0}, {"minScore": 1}):
        variables = _retrieval(persona, version, **overrides)
        assert "errors" not in await api.execute(RETRIEVE, **variables), overrides
        assert "errors" not in await api.execute(SEARCH, id=base["id"], **variables), overrides
    # Null means the default, as leaving the argument out does.
    body = await api.data(SEARCH, id=base["id"], q="parking", topK=None, minScore=None)
    assert len(body["searchKnowledgeBase"]) == 1


async def test_runtime_keys_retrieve_but_do_not_search_a_base(client_for: ClientFactory) -> None:
    admin = await client_for(Role.ADMIN)
    base, persona, version = await _setup(admin)
    expected = await retrieve(admin, persona, version, "parking garage")
    assert len(expected) == 1
    runtime = await client_for(Role.RUNTIME)
    assert await retrieve(runtime, persona, version, "parking garage") == expected
    refused = await runtime.execute(SEARCH, id=base["id"], q="parking")
    assert refused["data"] is None
    assert error_codes(refused) == ["FORBIDDEN"]
    assert "searchKnowledgeBase" in refused["errors"][0]["message"]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR, Role.PUBLISHER])
async def test_every_ladder_role_retrieves_and_searches(
    client_for: ClientFactory, role: Role
) -> None:
    base, persona, version = await _setup(await client_for(Role.ADMIN))
    reader = await client_for(role)
    assert len(await retrieve(reader, persona, version, "parking")) == 1
    assert len(await search(reader, base, "parking")) == 1


async def _not_found(client: GraphQLClient, document: str, **variables: Any) -> str:
    body = await client.execute(document, **variables)
    assert body["data"] is None, body
    assert error_codes(body) == ["NOT_FOUND"]
    message: str = body["errors"][0]["message"]
    return message


async def test_another_workspace_reads_as_if_nothing_were_there(
    client_for: ClientFactory,
) -> None:
    acme = await client_for(Role.ADMIN)
    base, persona, version = await _setup(acme)
    for role in (Role.ADMIN, Role.RUNTIME):
        globex = await client_for(role, "globex")
        theirs = await _not_found(globex, RETRIEVE, **_retrieval(persona, version))
        missing = await _not_found(
            globex, RETRIEVE, **_retrieval({"id": unknown_id("Persona")}, version)
        )
        assert theirs == missing
    globex = await client_for(Role.VIEWER, "globex")
    theirs = await _not_found(globex, SEARCH, id=base["id"], q="parking")
    missing = await _not_found(globex, SEARCH, id=unknown_id("KnowledgeBase"), q="parking")
    assert theirs == missing


async def test_unknown_ids_and_versions_are_not_found(api: GraphQLClient) -> None:
    _, persona, version = await _setup(api)
    for variables in (
        _retrieval(persona, version + 1),
        _retrieval(persona, 0),
        _retrieval(persona, -1),
        _retrieval({"id": "not-an-id"}, version),
        _retrieval({"id": unknown_id("KnowledgeBase")}, version),  # an id of another kind
    ):
        await _not_found(api, RETRIEVE, **variables)
    never = await api.create_persona(name="Never published")
    await _not_found(api, RETRIEVE, **_retrieval(never, 1))
    await _not_found(api, SEARCH, id="not-an-id", q="parking")
    await _not_found(api, SEARCH, id=persona["id"], q="parking")  # a persona is no base


async def test_a_deleted_persona_retrieves_nothing_more(api: GraphQLClient) -> None:
    _, persona, version = await _setup(api)
    assert len(await retrieve(api, persona, version, "parking")) == 1  # its version read
    assert errors_of(await mutate(api, DELETE, id=persona["id"])) == []
    await _not_found(api, RETRIEVE, **_retrieval(persona, version))


async def test_the_retrieval_endpoint_operation_lets_runtime_search_a_base(
    client_for: ClientFactory,
) -> None:
    base, _, _ = await _setup(await client_for(Role.ADMIN))
    runtime = (await client_for(Role.RUNTIME)).principal
    object_id = PydanticObjectId(decoded_id(base["id"], "KnowledgeBase"))
    with pytest.raises(Forbidden):
        await search_knowledge_base(runtime, object_id, "parking")
    found = await search_knowledge_base(
        runtime, object_id, "parking", operation=Operation.RETRIEVAL_ENDPOINT
    )
    assert [passage.title for passage in found] == ["Parking"]

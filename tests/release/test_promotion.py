"""Publishing into an environment, and promoting the very version tested there."""

import asyncio

from app.platform.database import MongoDatabase
from tests.support.callstart import CALL_START
from tests.support.client import GraphQLClient, errors_of, mutate, object_id, publish
from tests.support.deployments import (
    PUBLISH_TO,
    ROLLBACK_TO,
    deploy,
    draft,
    history,
    make_environment,
    published,
    read,
    release_state,
    renamed,
    versions,
)
from tests.support.library import UPDATE_TOOL, attach, create_tool, function_tool, set_tools


async def test_publishing_to_staging_leaves_production_untouched(api: GraphQLClient) -> None:
    await make_environment(api.principal.workspace_id, "staging")
    persona = await draft(api)

    payload = await published(api, persona, "staging", note="try it")

    assert payload["version"]["version"] == 1
    assert payload["version"]["environment"] == "staging"
    after = payload["persona"]
    assert after["status"] == "DRAFT"
    assert after["production"] is None
    found = await read(api, persona["id"], "staging")
    assert found["status"] == "DRAFT"
    assert found["production"] is None
    (deployment,) = found["deployments"]
    assert deployment == found["deployment"] == after["deployments"][0]
    assert deployment["environment"] == "staging"
    assert deployment["version"] == payload["version"]
    assert deployment["deployedBy"] == payload["version"]["publishedBy"]
    assert deployment["note"] == "try it"
    assert deployment["replaced"] is None
    assert deployment["rollout"] is None
    assert (await read(api, persona["id"], "production"))["deployment"] is None
    (change,) = await history(api, persona["id"])
    assert change["kind"] == "PUBLISHED"
    assert change["environment"] == "staging"
    assert (change["version"], change["replaced"]) == ({"version": 1}, None)


async def test_an_unknown_environment_is_not_found_and_changes_nothing(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await versions(api, 1)
    before = await release_state(database)

    published = await mutate(
        api,
        PUBLISH_TO,
        personaId=persona["id"],
        expectedRevision=persona["revision"],
        environment="staging",
    )
    rolled_back = await mutate(
        api, ROLLBACK_TO, personaId=persona["id"], version=1, environment="nowhere"
    )
    deployed = await deploy(api, persona["id"], 1, "Not A Name")
    empty = await mutate(
        api,
        PUBLISH_TO,
        personaId=persona["id"],
        expectedRevision=persona["revision"],
        environment="",
    )

    for payload in (published, rolled_back, deployed, empty):
        assert errors_of(payload) == [("NOT_FOUND", ["environment"])]
        assert payload["persona"] is None
    assert await release_state(database) == before


async def test_deploy_promotes_exactly_the_version_tested_in_staging(
    api: GraphQLClient,
) -> None:
    await make_environment(api.principal.workspace_id, "staging")
    tool = await create_tool(api, description="As tested.")
    persona = await set_tools(api, await draft(api), attach(tool))
    tested = (await published(api, persona, "staging"))["version"]
    # Edited after the test: production must still get what staging ran.
    edit = {"id": tool["id"], "expectedRevision": 1, "tool": function_tool(description="Later.")}
    await api.ok(UPDATE_TOOL, "updateTool", input=edit)

    payload = await deploy(api, persona["id"], 1, "production", note="ship it")

    assert payload["userErrors"] == []
    deployment = payload["deployment"]
    assert deployment["environment"] == "production"
    assert deployment["version"] == tested
    assert deployment["note"] == "ship it"
    assert deployment["replaced"] is None
    promoted = payload["persona"]
    assert promoted["status"] == "PUBLISHED"
    assert promoted["production"] == tested == promoted["deployments"][0]["version"]
    found = await read(api, persona["id"], "production")
    assert found["production"] == found["deployment"]["version"] == tested
    assert [d["environment"] for d in found["deployments"]] == ["production", "staging"]
    answer = (
        await api.data(CALL_START, id=persona["id"], channel="VOICE", environment="production")
    )["liveConfiguration"]
    assert answer["version"] == 1
    assert [(t["toolId"], t["description"]) for t in answer["tools"]] == [
        (tool["id"], "As tested.")
    ]
    assert [c["kind"] for c in await history(api, persona["id"])] == ["DEPLOYED", "PUBLISHED"]


async def test_a_later_deploy_replaces_the_one_before_and_the_history_says_so(
    api: GraphQLClient,
) -> None:
    persona = await versions(api, 3)

    first = await deploy(api, persona["id"], 1, "production", note="back to one")
    second = await deploy(api, persona["id"], 2, "production")

    assert first["deployment"]["replaced"] == {"version": 3}
    assert second["deployment"]["replaced"] == {"version": 1}
    assert second["persona"]["production"]["version"] == 2
    assert second["persona"]["status"] == "CHANGED"  # the draft is version 3's
    changes = await history(api, persona["id"], "production")
    assert [(c["kind"], c["version"], c["replaced"]) for c in changes[:2]] == [
        ("DEPLOYED", {"version": 2}, {"version": 1}),
        ("DEPLOYED", {"version": 1}, {"version": 3}),
    ]
    assert changes[1]["note"] == "back to one"
    assert changes[0]["by"] == changes[1]["by"] == api.principal.name
    assert len(await history(api, persona["id"], first=2)) == 2


async def test_deploying_what_is_served_changes_nothing(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await versions(api, 2)
    before = await release_state(database)

    payload = await deploy(api, persona["id"], 2, "production")

    assert payload["userErrors"] == []
    assert payload["deployment"]["version"]["version"] == 2
    assert await release_state(database) == before


async def test_deploying_a_version_that_does_not_exist_is_not_found(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await versions(api, 2)
    before = await release_state(database)

    payload = await deploy(api, persona["id"], 3, "production")

    assert errors_of(payload) == [("NOT_FOUND", ["version"])]
    assert await release_state(database) == before


async def test_rolling_back_in_staging_makes_the_next_version_there_only(
    api: GraphQLClient,
) -> None:
    await make_environment(api.principal.workspace_id, "staging")
    persona = await draft(api, name="v1")
    await published(api, persona, "staging")
    await published(api, persona := await renamed(api, persona, "v2"), "staging")
    await published(api, persona, "production")

    payload = await mutate(
        api, ROLLBACK_TO, personaId=persona["id"], version=1, environment="staging"
    )

    assert payload["userErrors"] == []
    assert payload["version"]["version"] == 4
    assert payload["version"]["environment"] == "staging"
    found = await read(api, persona["id"], "staging")
    assert found["deployment"]["version"]["version"] == 4
    assert found["deployment"]["version"]["snapshot"]["name"] == "v1"
    assert found["production"]["version"] == 3


async def test_versions_stay_one_sequence_when_publishes_race_across_environments(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    names = ["production", "staging", "qa", "demo"]
    for name in names[1:]:
        await make_environment(api.principal.workspace_id, name)
    persona = await draft(api)
    made: list[tuple[str, int]] = []
    for round in range(3):
        if round:
            persona = await renamed(api, persona, f"round {round}")
        payloads = await asyncio.gather(
            *(
                mutate(
                    api,
                    PUBLISH_TO,
                    personaId=persona["id"],
                    expectedRevision=persona["revision"],
                    environment=name,
                )
                for name in names
            )
        )
        for name, payload in zip(names, payloads, strict=True):
            assert payload["userErrors"] == [], payload["userErrors"]
            made.append((name, payload["version"]["version"]))

    numbers = sorted(number for _, number in made)
    assert numbers == list(range(1, len(made) + 1))
    stored = await database["persona_versions"].find({}).to_list()
    assert sorted((doc["environment"], doc["version"]) for doc in stored) == sorted(made)
    found = await read(api, persona["id"], "staging")
    assert {d["environment"]: d["version"]["version"] for d in found["deployments"]} == {
        name: max(number for where, number in made if where == name) for name in names
    }
    listed = await api.data(
        "query($id: ID!) { persona(id: $id) { versions(first: 100) { totalCount } } }",
        id=persona["id"],
    )
    assert listed["persona"]["versions"]["totalCount"] == len(made)
    stored_persona = await database["personas"].find_one({"_id": object_id(persona["id"])})
    assert stored_persona is not None
    assert stored_persona["latest_version"] == len(made)


async def test_publish_defaults_to_production(api: GraphQLClient) -> None:
    persona = await draft(api)
    payload = await publish(api, persona)
    assert payload["version"]["version"] == 1
    found = await read(api, persona["id"], "production")
    assert found["production"]["environment"] == "production"
    assert found["deployment"]["version"]["version"] == 1


async def test_a_null_environment_is_production_and_versions_say_where_they_went(
    api: GraphQLClient,
) -> None:
    await make_environment(api.principal.workspace_id, "staging")
    persona = await draft(api)
    await published(api, persona, "staging")
    payload = await mutate(
        api,
        PUBLISH_TO,
        personaId=persona["id"],
        expectedRevision=persona["revision"],
        environment=None,
    )

    assert payload["userErrors"] == []
    assert payload["persona"]["production"]["version"] == 2
    listed = await api.data(
        "query($id: ID!) { persona(id: $id) "
        "{ versions { edges { node { version environment } } } } }",
        id=persona["id"],
    )
    nodes = [edge["node"] for edge in listed["persona"]["versions"]["edges"]]
    assert nodes == [
        {"version": 2, "environment": "production"},
        {"version": 1, "environment": "staging"},
    ]


async def test_history_pages_are_bounded(api: GraphQLClient) -> None:
    persona = await versions(api, 1)
    body = await api.execute(
        "query($id: ID!) { persona(id: $id) { deploymentHistory(first: 101) { kind } } }",
        id=persona["id"],
    )
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert await history(api, persona["id"], "x" * 10_000) == []
    assert [c["kind"] for c in await history(api, persona["id"], "production")] == ["PUBLISHED"]

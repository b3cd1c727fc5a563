"""Knowledge bases: limits, roles, workspaces, and deletion refused while a draft attaches one."""

from beanie import PydanticObjectId

from app.access.principal import Role
from app.library.knowledge import store
from app.platform.database import MongoDatabase
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient, errors_of, mutate
from tests.support.library import (
    ADD_SOURCES,
    CREATE_KB,
    DELETE_KB,
    KB_USERS,
    KNOWLEDGE_BASES,
    OPENING_HOURS,
    READ_KB,
    REMOVE_SOURCE,
    UPDATE_KB,
    attach_knowledge_base,
    create_knowledge_base,
    decoded_id,
    knowledge_base,
    text_source,
    url_source,
)


async def test_a_base_holds_at_most_100_sources(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    many = [url_source(url=f"https://acme.example.com/{n}") for n in range(101)]
    refused = await mutate(api, CREATE_KB, **knowledge_base(sources=many))
    assert errors_of(refused) == [("INVALID", ["sources"])]
    assert await database["knowledge_bases"].count_documents({}) == 0
    base = await create_knowledge_base(api, sources=many[:99])
    add = {"knowledgeBaseId": base["id"], "expectedRevision": 1}
    over = await mutate(api, ADD_SOURCES, **add, sources=many[99:])
    assert errors_of(over) == [("INVALID", ["sources"])]
    full = await api.ok(ADD_SOURCES, "addKnowledgeSources", input={**add, "sources": many[99:100]})
    assert len(full["knowledgeBase"]["sources"]) == 100


async def test_a_text_holds_at_most_200000_characters(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    longest = "x" * 200_000
    base = await create_knowledge_base(api, sources=[text_source(text=longest)])
    assert base["sources"][0]["characters"] == 200_000
    assert base["sources"][0]["text"] == longest
    add = {"knowledgeBaseId": base["id"], "expectedRevision": 1}
    refused = await mutate(api, ADD_SOURCES, **add, sources=[text_source(text=longest + "x")])
    assert errors_of(refused) == [("INVALID", ["sources", "0", "text"])]
    assert await database["knowledge_texts"].count_documents({}) == 1
    assert (await api.data(READ_KB, id=base["id"]))["knowledgeBase"]["revision"] == 1


async def test_viewers_read_editors_write(client_for: ClientFactory) -> None:
    editor = await client_for(Role.EDITOR)
    viewer = await client_for(Role.VIEWER)
    base = await create_knowledge_base(editor)
    kb, source = base["id"], base["sources"][0]["id"]
    assert (await viewer.data(READ_KB, id=kb))["knowledgeBase"] == base
    assert (await viewer.data(KNOWLEDGE_BASES))["knowledgeBases"]["totalCount"] == 1
    for mutation, input in (
        (CREATE_KB, knowledge_base(name="Other")),
        (UPDATE_KB, {"id": kb, "expectedRevision": 1, "name": "Renamed"}),
        (ADD_SOURCES, {"knowledgeBaseId": kb, "expectedRevision": 1, "sources": [url_source()]}),
        (REMOVE_SOURCE, {"knowledgeBaseId": kb, "expectedRevision": 1, "sourceId": source}),
        (DELETE_KB, {"id": kb}),
    ):
        payload = await mutate(viewer, mutation, **input)
        assert errors_of(payload) == [("FORBIDDEN", None)]
    assert (await editor.data(KNOWLEDGE_BASES))["knowledgeBases"]["totalCount"] == 1
    assert (await editor.data(READ_KB, id=kb))["knowledgeBase"]["revision"] == 1


async def test_another_workspace_sees_no_base_of_this_one(
    api: GraphQLClient, client_for: ClientFactory
) -> None:
    base = await create_knowledge_base(api)
    kb, source = base["id"], base["sources"][0]["id"]
    other = await client_for(Role.ADMIN, workspace="globex")
    assert (await other.data(READ_KB, id=kb))["knowledgeBase"] is None
    assert (await other.data("query($id: ID!) { node(id: $id) { id } }", id=kb))["node"] is None
    assert (await other.data(KNOWLEDGE_BASES))["knowledgeBases"]["totalCount"] == 0
    for mutation, input, path in (
        (UPDATE_KB, {"id": kb, "expectedRevision": 1, "name": "Mine"}, "id"),
        (
            ADD_SOURCES,
            {"knowledgeBaseId": kb, "expectedRevision": 1, "sources": [url_source()]},
            "knowledgeBaseId",
        ),
        (
            REMOVE_SOURCE,
            {"knowledgeBaseId": kb, "expectedRevision": 1, "sourceId": source},
            "knowledgeBaseId",
        ),
        (DELETE_KB, {"id": kb}, "id"),
    ):
        assert errors_of(await mutate(other, mutation, **input)) == [("NOT_FOUND", [path])]
    # The same name is free in another workspace.
    assert (await create_knowledge_base(other))["name"] == base["name"]
    assert (await api.data(READ_KB, id=kb))["knowledgeBase"]["revision"] == 1


async def test_deleting_an_attached_base_is_in_use_until_detached(
    api: GraphQLClient, database: MongoDatabase, client_for: ClientFactory
) -> None:
    base = await create_knowledge_base(api)
    first = await api.create_persona(name="Front desk")
    second = await api.create_persona(name="Night desk")
    await api.create_persona(name="Unrelated")
    for persona in (first, second):
        await attach_knowledge_base(database, persona, base)
    users = (await api.data(KB_USERS, id=base["id"], first=1))["knowledgeBase"]["usedBy"]
    assert [edge["node"]["id"] for edge in users["edges"]] == [second["id"]]
    assert (users["totalCount"], users["pageInfo"]["hasNextPage"]) == (2, True)
    after = users["pageInfo"]["endCursor"]
    rest = (await api.data(KB_USERS, id=base["id"], after=after))["knowledgeBase"]["usedBy"]
    assert [edge["node"]["id"] for edge in rest["edges"]] == [first["id"]]
    refused = await mutate(api, DELETE_KB, id=base["id"])
    assert refused["deletedId"] is None
    assert errors_of(refused) == [("IN_USE", ["id"])]
    assert "2 personas" in refused["userErrors"][0]["message"]
    assert (await api.data(READ_KB, id=base["id"]))["knowledgeBase"] is not None
    # A persona of another workspace attaching an id it cannot see makes no user here.
    other = await client_for(Role.ADMIN, workspace="globex")
    await attach_knowledge_base(database, await other.create_persona(name="Spy"), base)
    await database["personas"].update_many(
        {"workspace_id": api.principal.workspace_id},
        {"$set": {"draft.knowledge_bases": [], "draft_knowledge_base_ids": []}},
    )
    deleted = await mutate(api, DELETE_KB, id=base["id"])
    assert deleted == {"deletedId": base["id"], "userErrors": []}
    assert (await api.data(READ_KB, id=base["id"]))["knowledgeBase"] is None
    assert errors_of(await mutate(api, DELETE_KB, id=base["id"])) == [("NOT_FOUND", ["id"])]
    # Deleting a base keeps its texts: a published version may pin them.
    assert await database["knowledge_texts"].count_documents({}) == 1


async def test_malformed_ids_read_as_null_and_write_as_not_found(api: GraphQLClient) -> None:
    assert (await api.data(READ_KB, id="not-an-id"))["knowledgeBase"] is None
    persona = await api.create_persona()
    # A persona's id names no knowledge base.
    assert (await api.data(READ_KB, id=persona["id"]))["knowledgeBase"] is None
    payload = await mutate(api, UPDATE_KB, id=persona["id"], expectedRevision=1, name="x")
    assert errors_of(payload) == [("NOT_FOUND", ["id"])]


async def test_what_a_version_would_pin_is_read_per_workspace(
    api: GraphQLClient, client_for: ClientFactory
) -> None:
    base = await create_knowledge_base(api)
    other = await create_knowledge_base(await client_for(Role.ADMIN, workspace="globex"))
    ids = [PydanticObjectId(decoded_id(b["id"], "KnowledgeBase")) for b in (base, other)]
    found = await store.get_knowledge_bases(api.principal.workspace_id, [*ids, ids[0]])
    assert list(found) == [ids[0]]
    definition = found[ids[0]].definition()
    assert (definition.knowledge_base_id, definition.revision, definition.name) == (
        ids[0],
        1,
        "Front desk FAQ",
    )
    assert [s.id for s in definition.sources] == [s["id"] for s in base["sources"]]
    text = definition.sources[0]
    assert await store.get_texts([text.content_hash]) == {text.content_hash: OPENING_HOURS}


async def test_knowledge_base_names_are_visible_nfc_text(api: GraphQLClient) -> None:
    for hostile in ("\u200b\u200b", "Front desk \u202egnp.exe", "A\x00B"):
        payload = await mutate(api, CREATE_KB, **knowledge_base(name=hostile))
        assert errors_of(payload) == [("INVALID", ["name"])], hostile
    composed = await mutate(api, CREATE_KB, **knowledge_base(name="Cafe\u0301 FAQ "))
    assert composed["knowledgeBase"]["name"] == "Caf\u00e9 FAQ"

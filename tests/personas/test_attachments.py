"""setPersonaTools: a draft attaches workspace tools per channel; an attached tool stays."""

import asyncio
from typing import Any

from app.access.principal import Role
from app.platform.database import MongoDatabase
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient, errors_of, mutate, object_id
from tests.support.library import (
    CREATE_TOOL,
    DELETE_KB,
    DELETE_TOOL,
    KB_USERS,
    SET_KNOWLEDGE_BASES,
    SET_TOOLS,
    USED_BY,
    attach,
    create_knowledge_base,
    create_tool,
    mcp_tool,
    set_tools,
)


async def test_tools_are_attached_in_order_with_their_channels(api: GraphQLClient) -> None:
    persona = await api.create_persona()
    weather = await create_tool(api)
    crm = (await api.ok(CREATE_TOOL, "createTool", input=mcp_tool()))["tool"]
    updated = await set_tools(api, persona, attach(crm, channels=["CHAT"]) + attach(weather))
    assert updated["revision"] == 2
    tools = updated["draft"]["tools"]
    assert [(t["definition"]["name"], t["channels"]) for t in tools] == [
        ("crm", ["CHAT"]),
        ("get_weather", ["VOICE", "CHAT"]),
    ]
    # In a draft the definition is the tool as it is now.
    assert tools[1]["definition"]["revision"] == 1
    assert tools[1]["tool"] == {"id": weather["id"], "name": "get_weather", "revision": 1}
    replaced = await set_tools(api, updated, attach(weather, channels=["VOICE"]))
    assert [t["channels"] for t in replaced["draft"]["tools"]] == [["VOICE"]]
    same = await set_tools(api, replaced, attach(weather, channels=["VOICE"]))
    assert same["revision"] == replaced["revision"]  # nothing changed, nothing written


async def test_bad_lists_are_refused_at_their_paths(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    persona = await api.create_persona()
    tool = await create_tool(api)
    stranger = await create_tool(await client_for(Role.ADMIN, workspace="globex"))
    many = [{"toolId": tool["id"]}] * 33
    cases: list[tuple[list[dict[str, Any]], list[tuple[str, list[str] | None]]]] = [
        (many, [("INVALID", ["tools"])]),
        (attach(tool) + attach(tool), [("INVALID", ["tools", "1", "toolId"])]),
        (attach(tool, channels=[]), [("INVALID", ["tools", "0", "channels"])]),
        (attach(tool, channels=["CHAT", "CHAT"]), [("INVALID", ["tools", "0", "channels"])]),
        (attach(stranger), [("NOT_FOUND", ["tools", "0", "toolId"])]),
        ([{"toolId": "bm90LWFuLWlk"}], [("NOT_FOUND", ["tools", "0", "toolId"])]),
    ]
    before = await database["personas"].find_one({"_id": object_id(persona["id"])})
    for tools, expected in cases:
        input = {"personaId": persona["id"], "expectedRevision": 1, "tools": tools}
        payload = await mutate(api, SET_TOOLS, **input)
        assert (payload["persona"], errors_of(payload)) == (None, expected), tools
    assert await database["personas"].find_one({"_id": object_id(persona["id"])}) == before
    stale = await mutate(api, SET_TOOLS, personaId=persona["id"], expectedRevision=9, tools=[])
    assert errors_of(stale) == [("REVISION_MISMATCH", ["expectedRevision"])]
    viewer = await client_for(Role.VIEWER)
    refused = await mutate(
        viewer, SET_TOOLS, personaId=persona["id"], expectedRevision=1, tools=attach(tool)
    )
    assert errors_of(refused) == [("FORBIDDEN", None)]


async def test_an_attached_tool_cannot_be_deleted_and_used_by_lists_who_attaches_it(
    api: GraphQLClient,
) -> None:
    tool = await create_tool(api)
    attached = []
    for name in ("One", "Two", "Three"):
        attached.append(await set_tools(api, await api.create_persona(name=name), attach(tool)))
    await api.create_persona(name="Without")
    refused = await mutate(api, DELETE_TOOL, id=tool["id"])
    assert errors_of(refused) == [("IN_USE", ["id"])]
    first = (await api.data(USED_BY, id=tool["id"], first=2))["tool"]["usedBy"]
    assert first["totalCount"] == 3
    assert [edge["node"]["id"] for edge in first["edges"]] == [attached[2]["id"], attached[1]["id"]]
    rest = await api.data(USED_BY, id=tool["id"], after=first["pageInfo"]["endCursor"])
    assert [edge["node"]["id"] for edge in rest["tool"]["usedBy"]["edges"]] == [attached[0]["id"]]
    for persona in attached:
        await set_tools(api, persona, [])
    deleted = await mutate(api, DELETE_TOOL, id=tool["id"])
    assert errors_of(deleted) == []


async def test_an_attach_racing_a_delete_never_leaves_a_draft_naming_a_deleted_tool(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    for _ in range(5):
        tool = await create_tool(api, name="racer")
        personas = [await api.create_persona(name=f"P{n}") for n in range(4)]
        attaching = [
            mutate(api, SET_TOOLS, personaId=p["id"], expectedRevision=1, tools=attach(tool))
            for p in personas
        ]
        results = await asyncio.gather(mutate(api, DELETE_TOOL, id=tool["id"]), *attaching)
        deleted = results[0]["deletedId"] is not None
        attached = [r["persona"] is not None for r in results[1:]]
        assert not (deleted and any(attached)), results
        for result in results:
            assert all(e["code"] in ("IN_USE", "NOT_FOUND") for e in result["userErrors"]), result
        if not deleted:
            for persona, ok in zip(personas, attached, strict=True):
                if ok:
                    await set_tools(api, {**persona, "revision": 2}, [])
            await mutate(api, DELETE_TOOL, id=tool["id"])
        assert await database["tools"].count_documents({"name": "racer"}) == 0


async def test_knowledge_bases_are_attached_with_their_top_k_and_stay_while_attached(
    api: GraphQLClient, client_for: ClientFactory
) -> None:
    persona = await api.create_persona()
    base = await create_knowledge_base(api)
    stranger = await create_knowledge_base(await client_for(Role.ADMIN, workspace="globex"))

    async def set_bases(bases: list[dict[str, Any]], revision: int) -> dict[str, Any]:
        return await mutate(
            api,
            SET_KNOWLEDGE_BASES,
            personaId=persona["id"],
            expectedRevision=revision,
            knowledgeBases=bases,
        )

    one = {"knowledgeBaseId": base["id"]}
    for bases, expected in (
        ([one] * 11, [("INVALID", ["knowledgeBases"])]),
        ([one, one], [("INVALID", ["knowledgeBases", "1", "knowledgeBaseId"])]),
        ([{**one, "topK": 0}], [("INVALID", ["knowledgeBases", "0", "topK"])]),
        ([{**one, "topK": 21}], [("INVALID", ["knowledgeBases", "0", "topK"])]),
        ([{**one, "channels": []}], [("INVALID", ["knowledgeBases", "0", "channels"])]),
        (
            [{"knowledgeBaseId": stranger["id"]}],
            [("NOT_FOUND", ["knowledgeBases", "0", "knowledgeBaseId"])],
        ),
    ):
        assert errors_of(await set_bases(bases, 1)) == expected, bases
    attached = await set_bases([{**one, "channels": ["VOICE"], "topK": 8}], 1)
    (shown,) = attached["persona"]["draft"]["knowledgeBases"]
    assert (shown["channels"], shown["topK"], shown["definition"]["revision"]) == (["VOICE"], 8, 1)
    assert errors_of(await mutate(api, DELETE_KB, id=base["id"])) == [("IN_USE", ["id"])]
    users = await api.data(KB_USERS, id=base["id"])
    assert [e["node"]["id"] for e in users["knowledgeBase"]["usedBy"]["edges"]] == [persona["id"]]
    await set_bases([], 2)
    assert errors_of(await mutate(api, DELETE_KB, id=base["id"])) == []

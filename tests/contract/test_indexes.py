"""Every query the API sends is served by an index: none scans a collection.

The queries are not copied here: every API operation runs once while the driver's
commands are recorded, and each recorded filter is explained on the embedded database.
SecantusDB explains an `update` or `findAndModify` as if it scanned whatever the filter,
so a write's filter is explained as the `find` it selects with; the server's write path
picks its candidates with the same dispatcher as its `find`.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from app.platform.database import MongoDatabase
from app.release.schedule_runs import claim_due, next_claimable, run_claimed
from tests.conftest import CommandLog
from tests.support.callstart import PREVIEW, READINESS, call_start, templated_persona
from tests.support.client import (
    CREATE_KEY,
    DELETE,
    DISCARD,
    REMOVE_VOICE,
    RESTORE,
    REVOKE_KEY,
    ROLLBACK,
    SET_CHAT,
    SET_VOICE,
    UPDATE,
    GraphQLClient,
    chat_input,
    mutate,
    persona_with_history,
    publish,
    voice_input,
)
from tests.support.deployments import release_operations
from tests.support.environments import environment_operations
from tests.support.library import (
    ADD_SOURCES,
    DELETE_KB,
    DELETE_TOOL,
    KB_USERS,
    KNOWLEDGE_BASES,
    PERSONA_TOOLS,
    READ_KB,
    READ_TOOL,
    REMOVE_SOURCE,
    TOOLS,
    UPDATE_KB,
    UPDATE_TOOL,
    USED_BY,
    attach,
    create_knowledge_base,
    create_tool,
    function_tool,
    set_tools,
    text_source,
)
from tests.support.memory import memory_operations
from tests.support.schedules import CANCEL, NODE, SCHEDULES, moment, scheduled

PAGE = """
query($first: Int, $after: String, $search: String, $status: PersonaStatus) {
  personas(first: $first, after: $after, search: $search, status: $status) {
    totalCount pageInfo { endCursor }
    edges { node { id versions(first: 1) { totalCount pageInfo { endCursor } edges { cursor } } } }
  }
}
"""
READS = """
query($id: ID!, $after: String) {
  persona(id: $id) { revision versions(first: 1, after: $after) { edges { node { version } } } }
  node(id: $id) { id }
  voice: liveConfiguration(personaId: $id, channel: VOICE, locale: "en-US") { version }
  chat: liveConfiguration(personaId: $id, channel: CHAT) { version }
  apiKeys { id }
}
"""
# Commands that select nothing, and where each selecting command keeps its filter.
UNSELECTIVE = {"insert", "getMore", "killCursors", "commitTransaction", "abortTransaction"}


def _filters(command: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(collection, filter, sort) of each selection a command makes."""
    name = next(iter(command))
    collection = command[name]
    if name == "find":
        yield collection, command.get("filter", {}), command.get("sort")
    elif name in ("update", "delete"):
        for statement in command["updates" if name == "update" else "deletes"]:
            yield collection, statement["q"], None
    elif name == "findAndModify":
        yield collection, command.get("query", {}), command.get("sort")
    elif name == "aggregate":
        first = command["pipeline"][0] if command["pipeline"] else {}
        yield collection, first.get("$match", {}), None
    elif name in ("count", "distinct"):
        yield collection, command.get("query", {}), None
    elif name not in UNSELECTIVE:
        raise AssertionError(f"no rule for the {name} command: teach this test what it selects")


def _stages(plan: dict[str, Any]) -> Iterator[str]:
    yield plan["stage"]
    for child in (plan.get("inputStage"), *plan.get("inputStages", [])):
        if child is not None:
            yield from _stages(child)


async def _plan(database: MongoDatabase, collection: str, query: dict[str, Any], sort: Any) -> Any:
    find: dict[str, Any] = {"find": collection, "filter": query}
    if sort:
        find["sort"] = sort
    explained = await database.command("explain", find)
    return explained["queryPlanner"]["winningPlan"]


async def _every_operation(api: GraphQLClient) -> None:
    persona = await persona_with_history(api, "Front desk")
    pid, revision = persona["id"], persona["revision"]
    await api.create_persona(name="Other desk")
    for variables in (
        {},
        {"first": 1},
        {"search": "de"},
        {"search": "front d"},
        {"status": "CHANGED"},
        {"search": "desk", "status": "DRAFT"},
    ):
        page = await api.data(PAGE, **variables)
        if variables == {"first": 1}:
            await api.data(PAGE, first=1, after=page["personas"]["pageInfo"]["endCursor"])
    await api.data(READS, id=pid)
    await api.data(READS, id=pid, after="dmVyc2lvbjoy")  # version 2's cursor
    voice = voice_input(locale="ar-AE", voiceKey="omar-ar-ae-m")
    steps: list[tuple[str, dict[str, Any]]] = [
        (UPDATE, {"id": pid, "expectedRevision": revision, "name": "Front desk v3"}),
        (UPDATE, {"id": pid, "expectedRevision": revision, "name": "stale"}),
        (SET_VOICE, {"personaId": pid, "expectedRevision": revision + 1, "configuration": voice}),
        (REMOVE_VOICE, {"personaId": pid, "expectedRevision": revision + 2, "locale": "ar-AE"}),
        (
            SET_CHAT,
            {"personaId": pid, "expectedRevision": revision + 3, "configuration": chat_input()},
        ),
        (DISCARD, {"personaId": pid, "expectedRevision": revision + 4}),
        (RESTORE, {"personaId": pid, "expectedRevision": revision + 5, "version": 1}),
        (ROLLBACK, {"personaId": pid, "version": 1}),
    ]
    for mutation, given in steps:
        await mutate(api, mutation, **given)
    await publish(api, {"id": pid, "revision": revision + 6})
    created = await mutate(api, CREATE_KEY, name="ops", role="VIEWER")
    await mutate(api, REVOKE_KEY, id=created["apiKey"]["id"])
    await mutate(api, DELETE, id=pid)
    await _tool_operations(api)
    await _knowledge_operations(api)
    await _attachment_operations(api)
    await memory_operations(api)
    await environment_operations(api, await api.create_persona(name="Staged"))
    await _schedule_operations(api)
    await release_operations(api)


async def _schedulable(api: GraphQLClient) -> dict[str, Any]:
    return await api.create_persona(
        name="Later", voiceConfigurations=[voice_input()], chatConfiguration=chat_input()
    )


async def _schedule_operations(api: GraphQLClient) -> None:
    persona = await _schedulable(api)
    first = await scheduled(api, persona, moment(60))
    cancelled = await scheduled(api, persona, moment(120))
    await api.data(SCHEDULES, id=persona["id"], status=None)
    await api.data(SCHEDULES, id=persona["id"], status="PENDING")
    await api.data(NODE, id=first)
    await mutate(api, CANCEL, id=cancelled)
    await mutate(api, CANCEL, id=cancelled)  # not PENDING any more
    # What the runners send: the next wake-up, a claim, the publish marking it done, and a
    # claim whose schedule fails (its persona deleted).
    await next_claimable()
    later = datetime.now(UTC) + timedelta(seconds=90)
    claimed = await claim_due(later, timedelta(seconds=30))
    assert claimed is not None
    await run_claimed(claimed)
    doomed = await _schedulable(api)
    await scheduled(api, doomed, moment(60))
    await mutate(api, DELETE, id=doomed["id"])
    claimed = await claim_due(later, timedelta(seconds=30))
    assert claimed is not None
    await run_claimed(claimed)


async def _attachment_operations(api: GraphQLClient) -> None:
    tool = await create_tool(api, name="attached")
    base = await create_knowledge_base(api, name="Attached")
    persona = await templated_persona(api, knowledgeBases=[{"knowledgeBaseId": base["id"]}])
    persona = await set_tools(api, persona, attach(tool))
    await api.data(READINESS, id=persona["id"])
    await publish(api, persona)
    await api.data(PERSONA_TOOLS, id=persona["id"])
    await call_start(api, persona, variables={"plan": "Pro"})
    await api.execute(PREVIEW, id=persona["id"], channel="CHAT", variables={"plan": "Pro"})
    await api.data(USED_BY, id=tool["id"])
    await mutate(api, DELETE_TOOL, id=tool["id"])  # in use


async def _tool_operations(api: GraphQLClient) -> None:
    tool = await create_tool(api)
    await create_tool(api, name="get_time")
    for variables in ({}, {"first": 1}, {"search": "we"}, {"search": "weath"}):
        page = await api.data(TOOLS, **variables)
        if variables == {"first": 1}:
            await api.data(TOOLS, first=1, after=page["tools"]["pageInfo"]["endCursor"])
    await api.data(READ_TOOL, id=tool["id"])
    update = {"id": tool["id"], "expectedRevision": 1, "tool": function_tool(timeoutSeconds=9)}
    await mutate(api, UPDATE_TOOL, **update)
    await mutate(api, UPDATE_TOOL, **update)  # stale
    await mutate(api, DELETE_TOOL, id=tool["id"])


async def _knowledge_operations(api: GraphQLClient) -> None:
    base = await create_knowledge_base(api)
    await create_knowledge_base(api, name="Returns", sources=[text_source(text="30 days.")])
    kb = base["id"]
    for variables in ({}, {"first": 1}, {"search": "fa"}, {"search": "desk f"}):
        page = await api.data(KNOWLEDGE_BASES, **variables)
        if variables == {"first": 1}:
            after = page["knowledgeBases"]["pageInfo"]["endCursor"]
            await api.data(KNOWLEDGE_BASES, first=1, after=after)
    await api.data(READ_KB, id=kb)
    await api.data(KB_USERS, id=kb)
    await api.data("query($id: ID!) { node(id: $id) { id } }", id=kb)
    rename = {"id": kb, "expectedRevision": 1, "name": "FAQ"}
    await mutate(api, UPDATE_KB, **rename)
    await mutate(api, UPDATE_KB, **rename)  # stale
    added = await mutate(
        api,
        ADD_SOURCES,
        knowledgeBaseId=kb,
        expectedRevision=2,
        sources=[text_source(text="New text.")],
    )
    source = added["knowledgeBase"]["sources"][0]["id"]
    await mutate(api, REMOVE_SOURCE, knowledgeBaseId=kb, expectedRevision=3, sourceId=source)
    await mutate(api, DELETE_KB, id=kb)


async def test_no_operation_scans_a_collection(
    api: GraphQLClient, database: MongoDatabase, command_log: CommandLog
) -> None:
    command_log.documents = []
    try:
        await _every_operation(api)
    finally:
        recorded, command_log.documents = command_log.documents, None

    checked: set[tuple[str, str]] = set()
    for command in recorded:
        if command.get("$db") != database.name:
            continue
        for collection, query, sort in _filters(command):
            plan = await _plan(database, collection, query, sort)
            assert "COLLSCAN" not in set(_stages(plan)), (command, plan)
            checked.add((next(iter(command)), collection))

    # The check really saw the reads and writes of every collection the API keeps.
    assert {
        ("find", "personas"),
        ("update", "personas"),
        ("delete", "personas"),
        ("aggregate", "personas"),
        ("find", "persona_versions"),
        ("delete", "persona_versions"),
        ("find", "api_keys"),
        ("update", "api_keys"),
        ("findAndModify", "workspaces"),
        ("find", "workspaces"),
        ("find", "tools"),
        ("update", "tools"),
        ("delete", "tools"),
        ("find", "knowledge_bases"),
        ("update", "knowledge_bases"),
        ("delete", "knowledge_bases"),
        ("find", "knowledge_texts"),
        ("update", "knowledge_texts"),
        ("find", "counters"),
        ("findAndModify", "counters"),
        ("find", "conversations"),
        ("delete", "conversations"),
        ("find", "contacts"),
        ("update", "contacts"),
        ("findAndModify", "contacts"),
        ("delete", "contacts"),
        ("find", "erasure_receipts"),
        ("delete", "sweeps"),
        ("find", "environments"),
        ("findAndModify", "environments"),
        ("find", "deployments"),
        ("update", "deployments"),
        ("delete", "deployments"),
        ("find", "deployment_changes"),
        ("delete", "deployment_changes"),
        ("find", "scheduled_publishes"),
        ("findAndModify", "scheduled_publishes"),
        ("update", "scheduled_publishes"),
    } <= checked, checked

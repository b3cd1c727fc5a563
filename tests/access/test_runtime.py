"""RUNTIME keys: call starts and nothing else, over HTTP, websockets and the CLI."""

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLField, get_named_type, is_composite_type
from starlette.applications import Starlette

from app.access.principal import Role
from app.platform.database import MongoDatabase
from graphql_schema.schema import schema
from tests.conftest import ClientFactory, CommandLog
from tests.support.client import (
    CREATE,
    CREATE_KEY,
    DELETE,
    PUBLISH,
    REVOKE_KEY,
    ROLLBACK,
    UPDATE,
    GraphQLClient,
    chat_input,
    persona_with_history,
    voice_input,
)
from tests.support.inprocess import stock_uvicorn
from tests.support.library import (
    CREATE_KB,
    CREATE_TOOL,
    DELETE_TOOL,
    SET_KNOWLEDGE_BASES,
    attach,
    create_knowledge_base,
    create_tool,
    function_tool,
    knowledge_base,
    set_tools,
    text_source,
)
from tests.support.processes import CLI, environment, graphql, serving
from tests.support.ws import graphql_ws

COLLECTIONS = ("personas", "persona_versions", "api_keys", "workspaces", "tools", "knowledge_bases")
CALL_START = """
query($id: ID!) {
  liveConfiguration(personaId: $id, channel: VOICE, locale: "en-US") {
    __typename personaId version name memory channel environment rolloutArm resolutionId
    prompt firstMessage variables ignoredVariables
    voice { locale prompt voice { key name } model { key maxOutputTokens } temperature }
    tools { toolId revision name kind url parameters timeoutSeconds }
    knowledgeBases { channels topK definition { knowledgeBaseId revision name
                                               sources { id title kind text contentHash } } }
  }
  chat: liveConfiguration(personaId: $id, channel: CHAT) { version chat { prompt model { key } } }
}
"""


async def _published(admin: GraphQLClient) -> dict[str, Any]:
    """A persona published with a voice, a chat, a tool and a knowledge base."""
    persona = await admin.create_persona(
        voiceConfigurations=[voice_input()], chatConfiguration=chat_input()
    )
    persona = await set_tools(admin, persona, attach(await create_tool(admin)))
    base = await create_knowledge_base(admin, sources=[text_source()])
    attached = {
        "personaId": persona["id"],
        "expectedRevision": persona["revision"],
        "knowledgeBases": [{"knowledgeBaseId": base["id"]}],
    }
    payload = await admin.ok(SET_KNOWLEDGE_BASES, "setPersonaKnowledgeBases", input=attached)
    published: dict[str, Any] = payload["persona"]
    publish = {"personaId": published["id"], "expectedRevision": published["revision"]}
    await admin.ok(PUBLISH, "publishPersona", input=publish)
    return published


async def _state(database: MongoDatabase) -> dict[str, list[dict[str, Any]]]:
    return {name: await database[name].find().sort("_id", 1).to_list() for name in COLLECTIONS}


# Every root field a RUNTIME key may use, in the order the schema lists them.
RUNTIME_FIELDS = ("liveConfiguration", "retrieveKnowledge", "contactMemory", "recordConversation")


def assert_forbidden(body: dict[str, Any], field: str) -> None:
    assert body["data"] is None, body
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN"}
    assert error["message"] == (
        f"A RUNTIME key may not use {field}; it may use only {', '.join(RUNTIME_FIELDS)}."
    )


async def test_a_runtime_key_gets_the_whole_call_start(client_for: ClientFactory) -> None:
    admin = await client_for(Role.ADMIN)
    runtime = await client_for(Role.RUNTIME)
    persona = await _published(admin)

    seen = await runtime.data(CALL_START, id=persona["id"])

    other = await admin.data(CALL_START, id=persona["id"])
    for answer in (seen, other):
        assert answer["liveConfiguration"]["variables"].pop("now")  # the time of each call
    assert seen == other
    live = seen["liveConfiguration"]
    assert live["version"] == 1
    assert live["voice"]["voice"]["key"] == "sara-en-us-f"
    assert [tool["name"] for tool in live["tools"]] == ["get_weather"]
    assert [base["definition"]["name"] for base in live["knowledgeBases"]] == ["Front desk FAQ"]
    assert seen["chat"]["chat"]["model"] == {"key": "gpt-4.1"}


def _document(kind: str, name: str, field: GraphQLField) -> str:
    """`name` called with every argument as a variable, selecting only __typename."""
    arguments = field.args.items()
    definitions = ", ".join(f"${arg}: {spec.type}" for arg, spec in arguments)
    call = ", ".join(f"{arg}: ${arg}" for arg, _ in arguments)
    selection = " { __typename }" if is_composite_type(get_named_type(field.type)) else ""
    head = f"{kind}({definitions})" if definitions else kind
    return f"{head} {{ {name}{f'({call})' if call else ''}{selection} }}"


ROOTS = {"query": schema._schema.query_type, "mutation": schema._schema.mutation_type}
FIELDS = [
    (kind, name, _document(kind, name, field))
    for kind, root in ROOTS.items()
    if root is not None
    for name, field in root.fields.items()
    if name not in RUNTIME_FIELDS
]


@pytest.mark.parametrize(("kind", "field", "document"), FIELDS, ids=[f[1] for f in FIELDS])
async def test_every_other_root_field_is_forbidden(
    client_for: ClientFactory, command_log: CommandLog, kind: str, field: str, document: str
) -> None:
    runtime = await client_for(Role.RUNTIME)
    await runtime.data("{ __typename }")  # the key's lookup, before the count
    commands = len(command_log.targets)

    # No variables at all: the refusal comes before they are even read.
    assert_forbidden(await runtime.execute(document), field)
    assert command_log.targets[commands:] == []


REFUSED = {
    "persona": "query($id: ID!) { persona(id: $id) { id } }",
    "personas": "{ personas { totalCount } }",
    "node": "query($id: ID!) { node(id: $id) { id } }",
    "apiKeys": "{ apiKeys { id role } }",
    "voices": "{ voices { key } }",
    "tools": "{ tools { totalCount } }",
    "knowledgeBases": "{ knowledgeBases { totalCount } }",
    # Aliases name nothing new; the refusal names the schema's field, not the alias.
    "personas ": "{ live: liveConfiguration(personaId: $id, channel: VOICE) { version } "
    "keys: personas { totalCount } }".replace("$id", '"x"'),
    # Fragments and inline fragments on the root type, nested.
    "apiKeys ": "query { ...Outer } fragment Outer on Query { ...Inner } "
    "fragment Inner on Query { ... on Query { apiKeys { id } } }",
    "languageModels": "{ ... { languageModels { key } } }",
    # The knowledge base as it is now is a library read, not part of the call start.
    "KnowledgeBaseAttachment.knowledgeBase": "query($id: ID!) { liveConfiguration("
    "personaId: $id, channel: VOICE) { knowledgeBases { knowledgeBase { id name } } } }",
    "KnowledgeBaseAttachment.knowledgeBase ": "query($id: ID!) { liveConfiguration("
    "personaId: $id, channel: VOICE) { ...Bases } } fragment Bases on LiveConfiguration { "
    "knowledgeBases { ... on KnowledgeBaseAttachment { current: knowledgeBase { id } } } }",
}


@pytest.mark.parametrize(("field", "document"), REFUSED.items(), ids=list(REFUSED))
async def test_reads_are_refused_however_they_are_wrapped(
    client_for: ClientFactory, field: str, document: str
) -> None:
    admin = await client_for(Role.ADMIN)
    runtime = await client_for(Role.RUNTIME)
    persona = await _published(admin)

    body = await runtime.execute(document, id=persona["id"])

    assert_forbidden(body, field.strip())


async def test_introspection_is_open_to_runtime_keys(client_for: ClientFactory) -> None:
    # The schema is the same for every key and printed in the repository: no workspace data.
    runtime = await client_for(Role.RUNTIME)

    seen = await runtime.data("{ __typename __schema { queryType { name } } }")

    assert seen == {"__typename": "Query", "__schema": {"queryType": {"name": "Query"}}}


async def _world(admin: GraphQLClient) -> dict[str, Any]:
    persona = await persona_with_history(admin, "Sales")
    tool = await create_tool(admin, name="lookup")
    spare = await admin.ok(CREATE_KEY, "createApiKey", input={"name": "spare", "role": "VIEWER"})
    return {"persona": persona, "tool": tool, "key": spare["apiKey"]}


MUTATIONS = {
    "createPersona": (CREATE, lambda w: {"name": "Support"}),
    "updatePersona": (
        UPDATE,
        lambda w: {
            "id": w["persona"]["id"],
            "expectedRevision": w["persona"]["revision"],
            "name": "Renamed",
        },
    ),
    "publishPersona": (
        PUBLISH,
        lambda w: {"personaId": w["persona"]["id"], "expectedRevision": w["persona"]["revision"]},
    ),
    "rollbackPersona": (ROLLBACK, lambda w: {"personaId": w["persona"]["id"], "version": 1}),
    "deletePersona": (DELETE, lambda w: {"id": w["persona"]["id"]}),
    "createTool": (CREATE_TOOL, lambda w: function_tool(name="other")),
    "deleteTool": (DELETE_TOOL, lambda w: {"id": w["tool"]["id"]}),
    "createKnowledgeBase": (CREATE_KB, lambda w: knowledge_base()),
    "createApiKey": (CREATE_KEY, lambda w: {"name": "more", "role": "RUNTIME"}),
    "revokeApiKey": (REVOKE_KEY, lambda w: {"id": w["key"]["id"]}),
}


@pytest.mark.parametrize(("field", "mutation"), MUTATIONS.items(), ids=list(MUTATIONS))
async def test_a_refused_mutation_changes_nothing(
    client_for: ClientFactory, database: MongoDatabase, field: str, mutation: Any
) -> None:
    admin = await client_for(Role.ADMIN)
    world = await _world(admin)
    runtime = await client_for(Role.RUNTIME)
    await runtime.data("{ __typename }")  # the key's first use is recorded before the snapshot
    document, make_input = mutation
    before = await _state(database)

    body = await runtime.execute(document, input=make_input(world))

    # A GraphQL error, not a userError: RUNTIME may call none of the mutations served today.
    assert_forbidden(body, field)
    assert await _state(database) == before
    # The same input from an ADMIN does change something: the refusal was RUNTIME's alone.
    assert (await admin.data(document, input=make_input(world)))[field]["userErrors"] == []
    assert await _state(database) != before


async def test_an_admin_makes_and_lists_runtime_keys(client_for: ClientFactory) -> None:
    admin = await client_for(Role.ADMIN)
    editor = await client_for(Role.EDITOR)
    input = {"name": "voice agent", "role": "RUNTIME"}

    refused = (await editor.data(CREATE_KEY, input=input))["createApiKey"]
    made = await admin.ok(CREATE_KEY, "createApiKey", input=input)
    keys = (await admin.data("{ apiKeys { name role } }"))["apiKeys"]

    assert refused["userErrors"][0]["code"] == "FORBIDDEN"
    assert made["apiKey"]["role"] == "RUNTIME"
    assert {"name": "voice agent", "role": "RUNTIME"} in keys
    headers = {"Authorization": f"Bearer {made['key']}"}
    again = await editor.http.post(
        "/graphql", json={"query": "{ voices { key } }"}, headers=headers
    )
    assert_forbidden(again.json(), "voices")


async def test_subscriptions_are_refused_over_the_websocket(
    app: Starlette, client_for: ClientFactory
) -> None:
    admin = await client_for(Role.ADMIN)
    runtime = await client_for(Role.RUNTIME)
    persona = await _published(admin)
    subscription = "subscription { personaPublished { persona { id } } }"

    async with stock_uvicorn(app) as url, graphql_ws(f"{url}/graphql", runtime.key) as socket:
        await socket.subscribe("1", subscription)
        refused = await asyncio.wait_for(socket.receive(), timeout=10)
        # The socket stays open for what the key may do.
        await socket.subscribe(
            "2",
            "query($id: ID!) { live: liveConfiguration("
            "personaId: $id, channel: CHAT) { version } }",
            id=persona["id"],
        )
        answered = await asyncio.wait_for(socket.receive(), timeout=10)

    assert refused["type"] == "error"
    assert refused["id"] == "1"
    assert [error["extensions"] for error in refused["payload"]] == [{"code": "FORBIDDEN"}]
    assert "may not use personaPublished" in refused["payload"][0]["message"]
    assert answered == {"id": "2", "type": "next", "payload": {"data": {"live": {"version": 1}}}}


def test_a_runtime_key_made_by_the_cli(tmp_path: Path) -> None:
    def keys(*args: str) -> subprocess.CompletedProcess[str]:
        command = [*CLI, "keys", *args, "--data-dir", str(tmp_path)]
        return subprocess.run(
            command, capture_output=True, text=True, env=environment(), timeout=60
        )

    with serving(tmp_path) as server:
        created = graphql(server, CREATE, input={"name": "Desk", "chatConfiguration": chat_input()})
        persona_id = created["createPersona"]["persona"]["id"]
        graphql(server, PUBLISH, input={"personaId": persona_id, "expectedRevision": 1})
        made = keys("create", "--workspace", "default", "--role", "RUNTIME", "--name", "agent")
        assert made.returncode == 0, made.stderr
        assert "Created RUNTIME key 'agent'" in made.stdout
        key = made.stdout.strip().splitlines()[-1]
        headers = {"Authorization": f"Bearer {key}"}
        live = "query($id: ID!) { liveConfiguration(personaId: $id, channel: CHAT) { name } }"
        started = httpx.post(
            f"{server.url}/graphql",
            json={"query": live, "variables": {"id": persona_id}},
            headers=headers,
        )
        listed = httpx.post(
            f"{server.url}/graphql", json={"query": "{ personas { totalCount } }"}, headers=headers
        )
        shown = keys("list")

    assert started.json() == {"data": {"liveConfiguration": {"name": "Desk"}}}
    assert_forbidden(listed.json(), "personas")
    assert shown.returncode == 0, shown.stderr
    assert any("RUNTIME" in line and "agent" in line for line in shown.stdout.splitlines())
    assert key not in shown.stdout

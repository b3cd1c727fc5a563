"""setPersonaMemoryPolicy: the versioned policy, its ranges, roles, revisions, changes,
publishing, rollback and restore, and the documents written before it existed."""

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId

from app.access.principal import LADDER, Role
from app.personas.documents import Snapshot, VoiceConfiguration
from app.personas.memory_policy import MemoryPolicy, MemoryScope
from app.personas.variables import VariableDefinition
from app.platform.database import MongoDatabase
from tests.conftest import ClientFactory
from tests.personas.drafting import global_id, unknown_persona_id
from tests.release.history import restore, rollback
from tests.support.client import GraphQLClient, chat_input, errors_of, publish, stored
from tests.support.memory_policy import (
    policy,
    read_policy,
    set_policy,
    version_policies,
)

SHARED = {"scope": "WORKSPACE", "retentionDays": 30, "recallConversations": 10}

# ---- the field ----------------------------------------------------------------------


async def test_a_new_persona_has_the_input_defaults(api: GraphQLClient) -> None:
    persona = await api.create_persona()

    read = await read_policy(api, persona["id"])

    assert read["draft"]["memoryPolicy"] == policy()
    assert read["production"] is None


async def test_sets_the_policy_and_reads_it_back(api: GraphQLClient) -> None:
    persona = await api.create_persona(memory=True)

    payload = await set_policy(api, persona, SHARED)

    assert payload["userErrors"] == []
    updated = payload["persona"]
    assert updated["revision"] == 2
    assert updated["draft"] == {"memory": True, "memoryPolicy": policy(**SHARED)}
    assert await read_policy(api, persona["id"]) == updated


async def test_fields_left_out_take_the_input_defaults(api: GraphQLClient) -> None:
    persona = await api.create_persona()
    changed = (await set_policy(api, persona, SHARED))["persona"]

    payload = await set_policy(api, changed, {"recallConversations": 0})

    assert payload["userErrors"] == []
    assert payload["persona"]["draft"]["memoryPolicy"] == policy(recallConversations=0)


async def test_the_policy_is_kept_while_memory_is_off(api: GraphQLClient) -> None:
    persona = await api.create_persona(memory=False)

    payload = await set_policy(api, persona, SHARED)

    assert payload["persona"]["draft"] == {"memory": False, "memoryPolicy": policy(**SHARED)}


async def test_the_same_policy_again_changes_nothing(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await api.create_persona()
    updated = (await set_policy(api, persona, SHARED))["persona"]
    before = await stored(database)

    again = await set_policy(api, updated, SHARED)

    assert again["userErrors"] == []
    assert again["persona"] == updated
    assert await stored(database) == before


# ---- ranges -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "fields"),
    [
        pytest.param({"retentionDays": 0}, ["retentionDays"], id="retention-0"),
        pytest.param({"retentionDays": -1}, ["retentionDays"], id="retention-negative"),
        pytest.param({"retentionDays": 3651}, ["retentionDays"], id="retention-3651"),
        pytest.param({"recallConversations": -1}, ["recallConversations"], id="recall-negative"),
        pytest.param({"recallConversations": 51}, ["recallConversations"], id="recall-51"),
        pytest.param(
            {"retentionDays": 0, "recallConversations": 51},
            ["retentionDays", "recallConversations"],
            id="both",
        ),
    ],
)
async def test_out_of_range_is_refused_at_its_path(
    api: GraphQLClient, database: MongoDatabase, given: dict[str, Any], fields: list[str]
) -> None:
    persona = await api.create_persona()
    before = await stored(database)

    payload = await set_policy(api, persona, given)

    assert payload["persona"] is None
    assert errors_of(payload) == [("INVALID", ["policy", field]) for field in fields]
    assert await stored(database) == before


async def test_a_range_error_says_the_range(api: GraphQLClient) -> None:
    persona = await api.create_persona()

    payload = await set_policy(api, persona, {"retentionDays": 4000})

    assert payload["userErrors"] == [
        {
            "field": ["policy", "retentionDays"],
            "message": "Retention days must be between 1 and 3650.",
            "code": "INVALID",
        }
    ]


@pytest.mark.parametrize(
    "given",
    [
        pytest.param({"retentionDays": 1, "recallConversations": 0}, id="lowest"),
        pytest.param({"retentionDays": 3650, "recallConversations": 50}, id="highest"),
    ],
)
async def test_the_limits_are_accepted(api: GraphQLClient, given: dict[str, Any]) -> None:
    persona = await api.create_persona()

    payload = await set_policy(api, persona, given)

    assert payload["userErrors"] == []
    assert payload["persona"]["draft"]["memoryPolicy"] == policy(**given)


async def test_an_unknown_scope_is_a_graphql_error(api: GraphQLClient) -> None:
    persona = await api.create_persona()

    body = await api.execute(
        "mutation($input: SetPersonaMemoryPolicyInput!) "
        "{ setPersonaMemoryPolicy(input: $input) { userErrors { code } } }",
        input={"personaId": persona["id"], "expectedRevision": 1, "policy": {"scope": "GLOBAL"}},
    )

    assert body["data"] is None
    assert "GLOBAL" in body["errors"][0]["message"]


# ---- revisions, roles, workspaces -------------------------------------------------


async def test_a_stale_revision_is_refused(api: GraphQLClient, database: MongoDatabase) -> None:
    persona = await api.create_persona()
    await set_policy(api, persona, {"retentionDays": 30})
    before = await stored(database)

    payload = await set_policy(api, persona, SHARED, revision=1)

    assert errors_of(payload) == [("REVISION_MISMATCH", ["expectedRevision"])]
    assert await stored(database) == before


async def test_an_unknown_persona_is_not_found(api: GraphQLClient) -> None:
    payload = await set_policy(api, {"id": unknown_persona_id(), "revision": 1}, SHARED)

    assert errors_of(payload) == [("NOT_FOUND", ["personaId"])]


@pytest.mark.parametrize("role", LADDER, ids=str)
async def test_editors_and_above_set_the_policy(
    client_for: ClientFactory, database: MongoDatabase, role: Role
) -> None:
    admin = await client_for(Role.ADMIN)
    persona = await admin.create_persona()
    caller = await client_for(role)
    await caller.data("{ voices { key } }")  # the key's first use is recorded before the snapshot
    before = await stored(database)

    payload = await set_policy(caller, persona, SHARED)

    if role is Role.VIEWER:
        assert errors_of(payload) == [("FORBIDDEN", None)]
        assert payload["persona"] is None
        assert await stored(database) == before
    else:
        assert payload["userErrors"] == []
        assert payload["persona"]["draft"]["memoryPolicy"] == policy(**SHARED)


async def test_a_foreign_persona_looks_unknown(
    client_for: ClientFactory, database: MongoDatabase
) -> None:
    owner = await client_for(Role.ADMIN, workspace="acme")
    persona = await owner.create_persona()
    stranger = await client_for(Role.ADMIN, workspace="globex")
    before = await stored(database)

    payload = await set_policy(stranger, persona, SHARED)

    assert errors_of(payload) == [("NOT_FOUND", ["personaId"])]
    assert await stored(database) == before


# ---- versioning ---------------------------------------------------------------------


async def test_changes_list_each_changed_field_of_the_policy(api: GraphQLClient) -> None:
    persona = await api.create_persona(chatConfiguration=chat_input())
    unpublished = await read_policy(api, persona["id"])
    assert unpublished["changes"][-1] == {
        "path": "memoryPolicy",
        "before": None,
        "after": '{"recallConversations": 5, "retentionDays": 365, "scope": "PERSONA"}',
    }
    published = (await publish(api, persona))["persona"]
    assert published["changes"] == []

    payload = await set_policy(api, published, {"retentionDays": 30, "recallConversations": 5})

    changed = payload["persona"]
    assert changed["status"] == "CHANGED"
    assert changed["changes"] == [
        {"path": "memoryPolicy.retentionDays", "before": "365", "after": "30"}
    ]
    back = (await set_policy(api, changed, {}))["persona"]
    assert back["status"] == "PUBLISHED"
    assert back["changes"] == []


async def test_publishing_pins_the_policy(api: GraphQLClient) -> None:
    persona = await api.create_persona(chatConfiguration=chat_input(), memory=True)
    persona = (await set_policy(api, persona, SHARED))["persona"]
    assert (await publish(api, persona))["userErrors"] == []
    published = await read_policy(api, persona["id"])
    assert published["status"] == "PUBLISHED"
    assert published["production"]["snapshot"]["memoryPolicy"] == policy(**SHARED)

    edited = (await set_policy(api, published, {"scope": "PERSONA"}))["persona"]

    assert edited["draft"]["memoryPolicy"] == policy()
    assert edited["production"]["snapshot"]["memoryPolicy"] == policy(**SHARED)
    assert await version_policies(api, persona["id"]) == {1: policy(**SHARED)}
    assert {change["path"] for change in edited["changes"]} == {
        "memoryPolicy.scope",
        "memoryPolicy.retentionDays",
        "memoryPolicy.recallConversations",
    }


async def test_rollback_and_restore_carry_the_policy(api: GraphQLClient) -> None:
    persona = await api.create_persona(chatConfiguration=chat_input(), memory=True)
    first = (await set_policy(api, persona, SHARED))["persona"]
    await publish(api, first)
    second = (await set_policy(api, await read_policy(api, persona["id"]), {}))["persona"]
    await publish(api, second)

    rolled = await rollback(api, persona["id"], 1)

    assert rolled["userErrors"] == []
    after = await read_policy(api, persona["id"])
    assert after["production"]["version"] == 3
    assert after["production"]["snapshot"]["memoryPolicy"] == policy(**SHARED)
    assert after["draft"]["memoryPolicy"] == policy()
    assert await version_policies(api, persona["id"]) == {
        3: policy(**SHARED),
        2: policy(),
        1: policy(**SHARED),
    }

    restored = await restore(api, after, 1)

    assert restored["userErrors"] == []
    draft = await read_policy(api, persona["id"])
    assert draft["draft"]["memoryPolicy"] == policy(**SHARED)
    assert draft["status"] == "PUBLISHED"  # the draft is what version 3 runs


# ---- documents written before the policy existed -----------------------------------


def _old_digest(snapshot: Snapshot) -> str:
    """Snapshot.digest() as it was before memory_policy: the lists out while empty."""
    exclude: set[str] = {"memory_policy"}
    exclude |= {
        name for name in ("variables", "tools", "knowledge_bases") if not getattr(snapshot, name)
    }
    return hashlib.sha256(snapshot.model_dump_json(exclude=exclude).encode()).hexdigest()


VOICE = VoiceConfiguration(
    locale="en-US", prompt="Hi.", voice_key="sara-en-us-f", model_key="gpt-4o-mini"
)


@pytest.mark.parametrize(
    "snapshot",
    [
        pytest.param(Snapshot(name="Sales"), id="bare"),
        pytest.param(
            Snapshot(
                name="Sales",
                memory=True,
                voice_configurations={"en-US": VOICE},
                variables=[VariableDefinition(name="topic")],
            ),
            id="configured",
        ),
    ],
)
def test_a_default_policy_keeps_the_old_digest(snapshot: Snapshot) -> None:
    assert snapshot.digest() == _old_digest(snapshot)
    explicit = snapshot.model_copy(update={"memory_policy": MemoryPolicy()})
    assert explicit.digest() == _old_digest(snapshot)


def test_another_policy_changes_the_digest() -> None:
    snapshot = Snapshot(name="Sales")
    shared = snapshot.model_copy(
        update={"memory_policy": MemoryPolicy(scope=MemoryScope.WORKSPACE)}
    )
    shorter = snapshot.model_copy(update={"memory_policy": MemoryPolicy(retention_days=30)})

    assert len({snapshot.digest(), shared.digest(), shorter.digest()}) == 3


async def _insert_old_persona(api: GraphQLClient, database: MongoDatabase) -> str:
    """A published persona as the API stored it before the memory policy existed."""
    workspace = await database["workspaces"].find_one_and_update(
        {"_id": api.principal.workspace_id},
        {"$inc": {"persona_seq": 1, "persona_count": 1}},
        return_document=True,
    )
    assert workspace is not None
    snapshot = Snapshot(name="Legacy", memory=True, voice_configurations={"en-US": VOICE})
    old = snapshot.model_dump(exclude={"memory_policy"})
    digest = _old_digest(snapshot)
    persona_id, now = ObjectId(), datetime.now(UTC)
    production = {
        "version": 1,
        "snapshot": old,
        "digest": digest,
        "published_at": now,
        "published_by": "legacy",
        "note": None,
        "from_rollback": False,
    }
    await database["persona_versions"].insert_one(
        {**production, "persona_id": persona_id, "slot": f"{persona_id}:1"}
    )
    await database["personas"].insert_one(
        {
            "_id": persona_id,
            "workspace_id": api.principal.workspace_id,
            "seq": workspace["persona_seq"],
            "draft": old,
            "draft_digest": digest,
            "production": production,
            "revision": 1,
            "created_at": now,
            "updated_at": now,
            "status": "PUBLISHED",
            "search_grams": [],
            "draft_tool_ids": [],
            "draft_knowledge_base_ids": [],
        }
    )
    return global_id("Persona", str(persona_id))


async def test_an_older_document_reads_with_the_default_policy(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona_id = await _insert_old_persona(api, database)

    read = await read_policy(api, persona_id)

    assert read["status"] == "PUBLISHED"
    assert read["changes"] == []
    assert read["draft"]["memoryPolicy"] == policy()
    assert read["production"]["snapshot"]["memoryPolicy"] == policy()
    assert await version_policies(api, persona_id) == {1: policy()}

    # Setting the defaults it already has writes nothing; another policy is a change.
    assert (await set_policy(api, read, {}))["persona"]["revision"] == 1
    changed = (await set_policy(api, read, SHARED))["persona"]
    assert changed["status"] == "CHANGED"
    assert changed["production"]["snapshot"]["memoryPolicy"] == policy()

"""setPersonaVariables over GraphQL: the list it keeps, every rule at its path, roles, revisions."""

from typing import Any

import pytest

from app.access.principal import LADDER, Role
from app.platform.database import MongoDatabase
from tests.conftest import ClientFactory
from tests.personas.drafting import create, unknown_persona_id
from tests.support.client import GraphQLClient, chat_input, errors_of, publish, stored
from tests.support.variables import defined, read_variables, set_variables, variable

# ---- the list ---------------------------------------------------------------------


async def test_sets_the_list_in_order_with_the_input_defaults(api: GraphQLClient) -> None:
    persona = await api.create_persona()
    given = [
        variable("customer_name", description="Who is calling"),
        variable("returning", type="BOOLEAN", defaultValue=False),
        variable("balance", type="NUMBER", required=True, defaultValue=12.5),
        variable("account", required=True),
    ]

    payload = await set_variables(api, persona, given)

    assert payload["userErrors"] == []
    updated = payload["persona"]
    assert updated["revision"] == 2
    assert updated["draft"]["variables"] == [
        defined("customer_name", description="Who is calling"),
        defined("returning", type="BOOLEAN", defaultValue=False),
        defined("balance", type="NUMBER", required=True, defaultValue=12.5),
        defined("account", required=True),
    ]
    assert await read_variables(api, persona["id"]) == updated


async def test_replaces_the_whole_list(api: GraphQLClient) -> None:
    persona = await api.create_persona()
    first = (await set_variables(api, persona, [variable("a"), variable("b")]))["persona"]

    second = (await set_variables(api, first, [variable("c"), variable("a")]))["persona"]
    assert second["draft"]["variables"] == [defined("c"), defined("a")]
    assert second["revision"] == 3

    cleared = (await set_variables(api, second, []))["persona"]
    assert cleared["draft"]["variables"] == []
    assert cleared["revision"] == 4


async def test_the_same_list_again_changes_nothing(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await api.create_persona()
    given = [variable("a", type="NUMBER", defaultValue=3)]
    updated = (await set_variables(api, persona, given))["persona"]
    before = await stored(database)

    again = await set_variables(api, updated, given)

    assert again["userErrors"] == []
    assert again["persona"] == updated
    assert await stored(database) == before


async def test_variables_are_published_with_the_version(api: GraphQLClient) -> None:
    persona = await api.create_persona(chatConfiguration=chat_input())
    updated = (await set_variables(api, persona, [variable("topic", defaultValue="billing")]))[
        "persona"
    ]

    published = await publish(api, updated)

    assert published["userErrors"] == []
    read = await read_variables(api, persona["id"])
    assert read is not None
    assert read["production"]["snapshot"]["variables"] == [defined("topic", defaultValue="billing")]
    assert read["status"] == "PUBLISHED"


async def test_create_persona_takes_variables(api: GraphQLClient) -> None:
    given = [variable("topic", defaultValue="billing"), variable("vip", type="BOOLEAN")]

    persona = await api.create_persona(variables=given)

    read = await read_variables(api, persona["id"])
    assert read is not None
    assert read["revision"] == 1
    assert read["draft"]["variables"] == [
        defined("topic", defaultValue="billing"),
        defined("vip", type="BOOLEAN"),
    ]


async def test_create_persona_refuses_a_broken_variable(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    before = await stored(database)

    payload = await create(api, variables=[variable("ok"), variable("ok", defaultValue=1)])

    assert payload["persona"] is None
    assert errors_of(payload) == [
        ("INVALID", ["variables", "1", "defaultValue"]),
        ("DUPLICATE_NAME", ["variables", "1", "name"]),
    ]
    assert await stored(database) == before


# ---- rules --------------------------------------------------------------------------

BUILT_INS = [
    "persona_name",
    "locale",
    "channel",
    "environment",
    "now",
    "contact_id",
    "contact_memory",
]


@pytest.mark.parametrize(
    ("given", "field"),
    [
        pytest.param(variable("Customer"), "name", id="uppercase"),
        pytest.param(variable("1st"), "name", id="leading-digit"),
        pytest.param(variable("_x"), "name", id="leading-underscore"),
        pytest.param(variable(""), "name", id="empty"),
        pytest.param(variable("first-name"), "name", id="hyphen"),
        pytest.param(variable("a" * 65), "name", id="65-characters"),
        *(pytest.param(variable(name), "name", id=f"built-in-{name}") for name in BUILT_INS),
        pytest.param(variable("n", type="NUMBER", defaultValue="5"), "defaultValue", id="n-str"),
        pytest.param(variable("n", type="NUMBER", defaultValue=True), "defaultValue", id="n-bool"),
        pytest.param(variable("n", type="NUMBER", defaultValue=[1]), "defaultValue", id="n-list"),
        pytest.param(variable("b", type="BOOLEAN", defaultValue=1), "defaultValue", id="b-int"),
        pytest.param(variable("b", type="BOOLEAN", defaultValue="true"), "defaultValue", id="b-s"),
        pytest.param(variable("s", defaultValue=5), "defaultValue", id="s-int"),
        pytest.param(variable("s", defaultValue={"a": 1}), "defaultValue", id="s-object"),
        pytest.param(variable("s", defaultValue="x" * 2001), "defaultValue", id="s-2001"),
        pytest.param(variable("d", description="x" * 501), "description", id="description-501"),
    ],
)
async def test_a_broken_rule_is_refused_at_its_path(
    api: GraphQLClient, database: MongoDatabase, given: dict[str, Any], field: str
) -> None:
    persona = await api.create_persona()
    before = await stored(database)

    payload = await set_variables(api, persona, [variable("fine"), given])

    assert payload["persona"] is None
    assert errors_of(payload) == [("INVALID", ["variables", "1", field])]
    assert await stored(database) == before


async def test_a_built_in_name_is_refused_with_a_reason(api: GraphQLClient) -> None:
    persona = await api.create_persona()

    payload = await set_variables(api, persona, [variable("locale")])

    assert payload["userErrors"] == [
        {
            "field": ["variables", "0", "name"],
            "message": "'locale' is a built-in variable: choose another name.",
            "code": "INVALID",
        }
    ]


async def test_a_repeated_name_is_a_duplicate_at_the_repeat(api: GraphQLClient) -> None:
    persona = await api.create_persona()

    payload = await set_variables(api, persona, [variable("a"), variable("b"), variable("a")])

    assert errors_of(payload) == [("DUPLICATE_NAME", ["variables", "2", "name"])]


async def test_every_broken_rule_is_reported(api: GraphQLClient) -> None:
    persona = await api.create_persona()
    given = [variable("Bad", type="BOOLEAN", defaultValue="yes", description="x" * 501)]

    payload = await set_variables(api, persona, given)

    assert errors_of(payload) == [
        ("INVALID", ["variables", "0", "name"]),
        ("INVALID", ["variables", "0", "defaultValue"]),
        ("INVALID", ["variables", "0", "description"]),
    ]


async def test_at_most_64_variables(api: GraphQLClient, database: MongoDatabase) -> None:
    persona = await api.create_persona()
    most = [variable(f"v{index}") for index in range(64)]
    accepted = (await set_variables(api, persona, most))["persona"]
    assert len(accepted["draft"]["variables"]) == 64
    before = await stored(database)

    payload = await set_variables(api, accepted, [*most, variable("v64")])

    assert errors_of(payload) == [("INVALID", ["variables"])]
    assert await stored(database) == before


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(variable("a" * 64), id="64-character-name"),
        pytest.param(variable("a_1_b"), id="digits-and-underscores"),
        pytest.param(variable("n", type="NUMBER", defaultValue=0), id="zero"),
        pytest.param(variable("n", type="NUMBER", defaultValue=-4.25), id="float"),
        pytest.param(variable("b", type="BOOLEAN", defaultValue=False), id="false"),
        pytest.param(variable("s", defaultValue=""), id="empty-string"),
        pytest.param(variable("s", defaultValue="x" * 2000), id="2000-characters"),
        pytest.param(variable("s", defaultValue=None, required=True), id="null-default"),
        pytest.param(variable("d", description="x" * 500), id="description-500"),
    ],
)
async def test_values_at_the_limits_are_accepted(api: GraphQLClient, given: dict[str, Any]) -> None:
    persona = await api.create_persona()

    payload = await set_variables(api, persona, [given])

    assert payload["userErrors"] == []
    assert payload["persona"]["draft"]["variables"] == [defined(**given)]


# ---- revisions, roles, workspaces -------------------------------------------------


async def test_a_stale_revision_is_refused(api: GraphQLClient, database: MongoDatabase) -> None:
    persona = await api.create_persona()
    await set_variables(api, persona, [variable("a")])
    before = await stored(database)

    payload = await set_variables(api, persona, [variable("b")], revision=1)

    assert errors_of(payload) == [("REVISION_MISMATCH", ["expectedRevision"])]
    assert await stored(database) == before


async def test_an_unknown_persona_is_not_found(api: GraphQLClient) -> None:
    payload = await set_variables(api, {"id": unknown_persona_id(), "revision": 1}, [])

    assert errors_of(payload) == [("NOT_FOUND", ["personaId"])]


async def test_rules_are_checked_before_the_persona_is_looked_up(api: GraphQLClient) -> None:
    payload = await set_variables(api, {"id": unknown_persona_id(), "revision": 1}, [variable("")])

    assert errors_of(payload) == [("INVALID", ["variables", "0", "name"])]


@pytest.mark.parametrize("role", list(LADDER), ids=str)
async def test_editors_and_above_set_variables(
    client_for: ClientFactory, database: MongoDatabase, role: Role
) -> None:
    admin = await client_for(Role.ADMIN)
    persona = await admin.create_persona()
    caller = await client_for(role)
    await caller.data("{ voices { key } }")  # the key's first use is recorded before the snapshot
    before = await stored(database)

    payload = await set_variables(caller, persona, [variable("a")])

    if role is Role.VIEWER:
        assert errors_of(payload) == [("FORBIDDEN", None)]
        assert payload["persona"] is None
        assert await stored(database) == before
    else:
        assert payload["userErrors"] == []
        assert payload["persona"]["draft"]["variables"] == [defined("a")]


async def test_a_foreign_persona_looks_unknown(
    client_for: ClientFactory, database: MongoDatabase
) -> None:
    owner = await client_for(Role.ADMIN, workspace="acme")
    persona = await owner.create_persona()
    stranger = await client_for(Role.ADMIN, workspace="globex")
    before = await stored(database)

    payload = await set_variables(stranger, persona, [variable("a")])

    assert errors_of(payload) == [("NOT_FOUND", ["personaId"])]
    assert await stored(database) == before


# ---- changes ------------------------------------------------------------------------


async def test_changes_name_each_variable_added_changed_removed_and_reordered(
    api: GraphQLClient,
) -> None:
    persona = await api.create_persona(chatConfiguration=chat_input())
    given = [variable("a"), variable("b", type="NUMBER"), variable("c")]
    updated = (await set_variables(api, persona, given))["persona"]
    assert {change["path"] for change in updated["changes"]} >= {
        "variables[a]",
        "variables[b]",
        "variables[c]",
    }
    published = (await publish(api, updated))["persona"]
    assert published["changes"] == []

    edited = [variable("c"), variable("b", type="NUMBER", defaultValue=2.0), variable("d")]
    changed = (await set_variables(api, published, edited))["persona"]

    assert changed["status"] == "CHANGED"
    assert changed["changes"] == [
        {
            "path": "variables[a]",
            "before": (
                '{"defaultValue": null, "description": null, "name": "a", '
                '"required": false, "type": "STRING"}'
            ),
            "after": None,
        },
        {"path": "variables[b].defaultValue", "before": None, "after": "2.0"},
        {
            "path": "variables[d]",
            "before": None,
            "after": (
                '{"defaultValue": null, "description": null, "name": "d", '
                '"required": false, "type": "STRING"}'
            ),
        },
        {"path": "variables.order", "before": '["b", "c"]', "after": '["c", "b"]'},
    ]

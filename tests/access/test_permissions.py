"""The table of who may do what, and the ladder RUNTIME is not on."""

import pytest
from beanie import PydanticObjectId

from app.access.permissions import PERMISSIONS, Operation, allowed, require
from app.access.principal import LADDER, Forbidden, Principal, Role, describe
from graphql_schema.access.permissions import FIELDS, TYPES
from graphql_schema.schema import schema

# The contract: "It may call liveConfiguration, retrieveKnowledge, recordConversation,
# contactMemory and POST /retrieval, and nothing else."
RUNTIME_MAY = {
    Operation.LIVE_CONFIGURATION,
    Operation.RETRIEVE_KNOWLEDGE,
    Operation.RECORD_CONVERSATION,
    Operation.READ_CONTACT_MEMORY,
    Operation.RETRIEVAL_ENDPOINT,
}
# Root fields of PART 3 named in the table before they are served.
COMING = {
    "Query.retrieveKnowledge",
    "Query.searchKnowledgeBase",
    "Query.contactMemory",
    "Query.erasureReceipts",
    "Mutation.recordConversation",
    "Mutation.forgetContact",
    "Mutation.setPersonaMemoryPolicy",
    "Mutation.refreshKnowledgeSource",
    "LiveConfiguration.contactMemory",
}


def _principal(role: Role) -> Principal:
    return Principal(PydanticObjectId(), role, f"{role.lower()} key")


def test_every_operation_has_its_roles() -> None:
    assert set(PERMISSIONS) == set(Operation)
    assert all(PERMISSIONS[operation] for operation in Operation)


def test_runtime_may_do_exactly_what_the_contract_says() -> None:
    assert {op for op in Operation if allowed(Role.RUNTIME, op)} == RUNTIME_MAY


def test_contact_memory_is_for_runtime_and_admin_and_erasure_for_admin() -> None:
    assert PERMISSIONS[Operation.READ_CONTACT_MEMORY] == {Role.RUNTIME, Role.ADMIN}
    assert PERMISSIONS[Operation.RECORD_CONVERSATION] == {Role.RUNTIME, Role.ADMIN}
    assert PERMISSIONS[Operation.FORGET_CONTACT] == {Role.ADMIN}
    assert PERMISSIONS[Operation.READ_ERASURE_RECEIPTS] == {Role.ADMIN}


def test_the_ladder_holds_for_every_other_operation() -> None:
    # Outside contact memory, whatever a role of the ladder may do, the roles above it may.
    personal = {Operation.READ_CONTACT_MEMORY, Operation.RECORD_CONVERSATION}
    for operation in set(Operation) - personal:
        ranks = [LADDER.index(role) for role in PERMISSIONS[operation] if role in LADDER]
        assert ranks == [] or set(ranks) == set(range(min(ranks), len(LADDER))), operation


@pytest.mark.parametrize("role", LADDER, ids=str)
def test_runtime_is_on_no_rung_of_the_ladder(role: Role) -> None:
    runtime = _principal(Role.RUNTIME)
    assert not runtime.can(role)
    with pytest.raises(Forbidden):
        runtime.require(role)
    # Nor does any rank reach RUNTIME.
    assert not _principal(role).can(Role.RUNTIME)


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (Operation.EDIT_DRAFT, "This needs the EDITOR role or higher."),
        (Operation.READ_API_KEYS, "This needs the ADMIN role or higher."),
        (Operation.READ_PERSONAS, "This needs the VIEWER role or higher."),
    ],
)
def test_a_runtime_key_is_refused_with_the_roles_that_may(
    operation: Operation, message: str
) -> None:
    with pytest.raises(Forbidden) as refused:
        require(_principal(Role.RUNTIME), operation)
    assert str(refused.value) == message
    assert refused.value.problems[0].code == "FORBIDDEN"


def test_refusals_name_the_roles_off_the_ladder_too() -> None:
    assert describe(PERMISSIONS[Operation.READ_CONTACT_MEMORY]) == "the RUNTIME or ADMIN role"
    assert describe(PERMISSIONS[Operation.LIVE_CONFIGURATION]) == (
        "the VIEWER role or higher, or the RUNTIME role"
    )
    with pytest.raises(Forbidden) as refused:
        require(_principal(Role.EDITOR), Operation.FORGET_CONTACT)
    assert str(refused.value) == "This needs the ADMIN role or higher."


def test_every_root_field_served_is_in_the_gate_table() -> None:
    served = {
        f"{root.name}.{name}"
        for root in (
            schema._schema.query_type,
            schema._schema.mutation_type,
            schema._schema.subscription_type,
        )
        if root is not None
        for name in root.fields
    }
    assert served - set(FIELDS) == set()
    types = schema._schema.type_map
    named = {
        coordinate
        for coordinate in FIELDS
        if coordinate.split(".")[0] in types
        and coordinate.split(".")[1] in getattr(types[coordinate.split(".")[0]], "fields", {})
    }
    assert set(FIELDS) - named <= COMING
    assert {"Persona", "Tool", "KnowledgeBase", "ApiKey"} <= set(TYPES) & set(types)

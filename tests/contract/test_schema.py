"""The served schema: its printed file is current, and it honours the target contract."""

from pathlib import Path

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    print_ast,
)

from graphql_schema.schema import printed_schema
from tests.contract.deferred import NOT_YET_SERVED

CONTRACT = Path(__file__).resolve().parent / "schema-target.graphql"


def test_printed_schema_file_is_current(repo_root: Path) -> None:
    on_disk = (repo_root / "graphql_schema" / "schema.graphql").read_text(encoding="utf-8")
    assert on_disk == printed_schema(), (
        "graphql_schema/schema.graphql is stale: run `persona-api export-schema`"
    )


def _default(value: GraphQLArgument | GraphQLInputField) -> str | None:
    """The default as GraphQL literal text, or None when there is none.

    An omitted nullable argument and one defaulting to null read the same to every client,
    and Strawberry prints `= null` for each optional argument, so the two compare equal.
    """
    default = value.default
    if default is None:
        return None if isinstance(value.type, GraphQLNonNull) else "null"
    assert default.literal is not None, "schemas built from SDL keep default literals"
    return print_ast(default.literal)


def _arguments(
    owner: str, expected: dict[str, GraphQLArgument], served: dict[str, GraphQLArgument]
) -> list[str]:
    problems: list[str] = []
    for name, argument in expected.items():
        where = f"{owner}({name}:)"
        found = served.get(name)
        if found is None:
            problems.append(f"{where} is missing")
            continue
        if str(found.type) != str(argument.type):
            problems.append(f"{where} is {found.type}, the contract says {argument.type}")
        if _default(found) != _default(argument):
            problems.append(
                f"{where} defaults to {_default(found)}, the contract says {_default(argument)}"
            )
    problems.extend(
        f"{owner}({name}:) is required but not in the contract"
        for name, argument in served.items()
        if name not in expected
        and isinstance(argument.type, GraphQLNonNull)
        and argument.default is None
    )
    return problems


def _compare_type(expected: GraphQLNamedType, served: GraphQLNamedType) -> list[str]:
    name = expected.name
    if type(served) is not type(expected):
        return [f"{name} is a {type(served).__name__}, the contract says {type(expected).__name__}"]
    problems: list[str] = []
    if isinstance(expected, GraphQLObjectType | GraphQLInterfaceType):
        assert isinstance(served, GraphQLObjectType | GraphQLInterfaceType)
        served_interfaces = {i.name for i in served.interfaces}
        problems.extend(
            f"{name} does not implement {i.name}"
            for i in expected.interfaces
            if i.name not in served_interfaces
        )
        for field_name, field in expected.fields.items():
            path = f"{name}.{field_name}"
            served_field = served.fields.get(field_name)
            if served_field is None:
                problems.append(f"{path} is missing")
                continue
            if str(served_field.type) != str(field.type):
                problems.append(f"{path} is {served_field.type}, the contract says {field.type}")
            problems += _arguments(path, field.args, served_field.args)
    elif isinstance(expected, GraphQLInputObjectType):
        assert isinstance(served, GraphQLInputObjectType)
        for field_name, input_field in expected.fields.items():
            path = f"{name}.{field_name}"
            served_input = served.fields.get(field_name)
            if served_input is None:
                problems.append(f"{path} is missing")
                continue
            if str(served_input.type) != str(input_field.type):
                problems.append(
                    f"{path} is {served_input.type}, the contract says {input_field.type}"
                )
            if _default(served_input) != _default(input_field):
                problems.append(
                    f"{path} defaults to {_default(served_input)}, "
                    f"the contract says {_default(input_field)}"
                )
        problems.extend(
            f"{name}.{field_name} is required but not in the contract"
            for field_name, input_field in served.fields.items()
            if field_name not in expected.fields
            and isinstance(input_field.type, GraphQLNonNull)
            and input_field.default is None
        )
    elif isinstance(expected, GraphQLEnumType):
        assert isinstance(served, GraphQLEnumType)
        problems.extend(
            f"{name}.{value} is missing" for value in expected.values if value not in served.values
        )
    return problems


def contract_problems(contract: GraphQLSchema, served: GraphQLSchema) -> list[str]:
    """Every way `served` breaks `contract`, except the deferred names."""
    problems: list[str] = []
    for name, expected in contract.type_map.items():
        if name.startswith("__"):
            continue
        found = served.type_map.get(name)
        if found is None:
            problems.append(f"type {name} is missing")
            continue
        problems += _compare_type(expected, found)
    for root in ("query_type", "mutation_type", "subscription_type"):
        expected_root = getattr(contract, root)
        if expected_root is None:
            continue
        served_root = getattr(served, root)
        if served_root is None or served_root.name != expected_root.name:
            problems.append(f"the {root} is not {expected_root.name}")
    return problems


@pytest.fixture(scope="module")
def contract() -> GraphQLSchema:
    return build_schema(CONTRACT.read_text(encoding="utf-8"))


def test_served_schema_honours_the_contract(contract: GraphQLSchema) -> None:
    served = build_schema(printed_schema())
    assert set(contract_problems(contract, served)) == NOT_YET_SERVED


def test_contract_check_notices_a_break(contract: GraphQLSchema) -> None:
    # The check itself must be able to fail: a schema that drops and changes things is caught.
    broken = build_schema(
        printed_schema()
        .replace("  gender: String\n", "")
        .replace("  DUPLICATE_LOCALE\n", "")
        .replace("temperature: Float! = 0.7\n  maxTokens", "temperature: Float! = 0.5\n  maxTokens")
    )
    already = contract_problems(contract, build_schema(printed_schema()))
    assert sorted(contract_problems(contract, broken)) == sorted(
        [
            "Voice.gender is missing",
            "UserErrorCode.DUPLICATE_LOCALE is missing",
            "ChatConfigurationInput.temperature defaults to 0.5, the contract says 0.7",
            *already,
        ]
    )

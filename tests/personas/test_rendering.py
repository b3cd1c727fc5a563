"""The call-start APIs: variable values merged and checked, and templates rendered strictly."""

import uuid

import pytest

from app.personas import templates
from app.personas.templates import RenderFailed, check_template, render, used_variables
from app.personas.variables import (
    BUILTIN_NAMES,
    InvalidVariables,
    MissingVariables,
    VariableDefinition,
    VariableType,
    check_variables,
    resolve_values,
)
from app.platform.errors import DomainError, ErrorCode

BUILTINS = {
    "persona_name": "Sales",
    "locale": "en-US",
    "channel": "voice",
    "environment": "production",
    "now": "2026-12-01T12:00:00Z",
}


def var(
    name: str, kind: VariableType = VariableType.STRING, **fields: object
) -> VariableDefinition:
    return VariableDefinition.model_validate({"name": name, "type": kind, **fields})


# ---- resolve_values -------------------------------------------------------------------


def test_call_values_win_over_the_environment_over_defaults() -> None:
    definitions = [
        var("a", default_value="default"),
        var("b", default_value="default"),
        var("c", default_value="default"),
        var("d"),
    ]

    resolved = resolve_values(definitions, BUILTINS, {"b": "env", "c": "env"}, {"c": "call"})

    assert resolved.values == {
        **BUILTINS,
        "contact_id": None,
        "a": "default",
        "b": "env",
        "c": "call",
        "d": None,
    }
    assert resolved.ignored == []


def test_a_null_value_lets_the_layer_below_show_through() -> None:
    definitions = [var("a", default_value="default"), var("b", required=True)]

    resolved = resolve_values(definitions, BUILTINS, {"a": "env", "b": "env"}, {"a": None})

    assert resolved.values["a"] == "env"
    assert resolved.values["b"] == "env"


def test_built_ins_are_not_overridden_and_undefined_names_are_ignored() -> None:
    definitions = [var("topic")]
    call = {"zeta": 1, "persona_name": "Hacked", "topic": "billing", "alpha": "x"}

    resolved = resolve_values(definitions, BUILTINS, {"other": "env only"}, call)

    assert resolved.values["persona_name"] == "Sales"
    assert resolved.values["topic"] == "billing"
    assert "zeta" not in resolved.values
    assert "other" not in resolved.values
    assert resolved.ignored == ["alpha", "persona_name", "zeta"]
    assert set(resolved.values) == BUILTIN_NAMES | {"topic"}


def test_a_given_contact_id_is_kept() -> None:
    resolved = resolve_values([], {**BUILTINS, "contact_id": "c-1"}, {}, {})

    assert resolved.values["contact_id"] == "c-1"


def test_required_variables_without_a_value_are_missing() -> None:
    definitions = [
        var("a", required=True),
        var("b", required=True, default_value="given"),
        var("c", required=True),
        var("d"),
    ]

    with pytest.raises(MissingVariables) as raised:
        resolve_values(definitions, BUILTINS, {}, {"c": None})

    assert raised.value.names == ["a", "c"]
    assert isinstance(raised.value, DomainError)
    assert [problem.path for problem in raised.value.problems] == [
        ("variables", "a"),
        ("variables", "c"),
    ]


def test_a_missing_value_is_reported_before_a_wrong_one() -> None:
    definitions = [var("a", required=True), var("n", VariableType.NUMBER)]

    with pytest.raises(MissingVariables):
        resolve_values(definitions, BUILTINS, {}, {"n": "five"})


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (VariableType.NUMBER, "5"),
        (VariableType.NUMBER, True),
        (VariableType.NUMBER, float("inf")),
        (VariableType.NUMBER, [1]),
        (VariableType.BOOLEAN, 1),
        (VariableType.BOOLEAN, "false"),
        (VariableType.STRING, 5),
        (VariableType.STRING, {"a": "b"}),
    ],
)
def test_a_value_of_another_type_is_invalid(kind: VariableType, value: object) -> None:
    definitions = [var("fine"), var("x", kind)]

    with pytest.raises(InvalidVariables) as raised:
        resolve_values(definitions, BUILTINS, {}, {"fine": "ok", "x": value})

    assert raised.value.names == ["x"]
    assert raised.value.problems[0].message == f"Must be a {kind.value}."


def test_an_environment_value_of_another_type_is_invalid_too() -> None:
    with pytest.raises(InvalidVariables) as raised:
        resolve_values([var("n", VariableType.NUMBER)], BUILTINS, {"n": "1"}, {})

    assert raised.value.names == ["n"]


def test_whole_numbers_render_without_a_decimal_point() -> None:
    definitions = [
        var("a", VariableType.NUMBER, default_value=42.0),
        var("b", VariableType.NUMBER),
        var("c", VariableType.NUMBER),
        var("d", VariableType.NUMBER),
    ]

    resolved = resolve_values(definitions, BUILTINS, {"b": 3.0}, {"c": 4.5, "d": -7})

    assert render("{{ a }} {{ b }} {{ c }} {{ d }}", resolved.values) == "42 3 4.5 -7"


# ---- check_variables --------------------------------------------------------------------


def test_check_variables_reports_at_the_given_path() -> None:
    problems = check_variables([var("ok"), var("ok")], ("draft", "variables"))

    assert [(p.path, p.code) for p in problems] == [
        (("draft", "variables", "1", "name"), ErrorCode.DUPLICATE_NAME)
    ]


# ---- render -------------------------------------------------------------------------------


def test_an_undefined_variable_is_an_error_at_render() -> None:
    with pytest.raises(RenderFailed) as raised:
        render("Hello\n{{ customer }}", {"name": "x"})

    assert raised.value.problems[0].code is ErrorCode.INVALID_TEMPLATE
    assert str(raised.value) == "Template error on line 2: 'customer' is undefined."


def test_default_fills_in_a_variable_without_a_value() -> None:
    resolved = resolve_values([var("customer_name")], BUILTINS, {}, {})
    text = "Hi {{ customer_name | default: 'there' }}"

    assert render(text, resolved.values) == "Hi there"
    assert render(text, {"customer_name": "Ada"}) == "Hi Ada"


def test_if_and_for_render() -> None:
    text = (
        "{% if returning %}Welcome back{% else %}Welcome{% endif %}, {{ name | capitalize }}."
        "{% for item in items %} {{ forloop.index }}:{{ item }}{% endfor %}"
    )

    assert render(text, {"returning": True, "name": "ada", "items": ["a", "b"]}) == (
        "Welcome back, Ada. 1:a 2:b"
    )
    assert render(text, {"returning": False, "name": "bo", "items": []}) == "Welcome, Bo."


def test_booleans_and_nulls_render_as_liquid_does() -> None:
    assert render("[{{ t }}|{{ f }}|{{ n }}]", {"t": True, "f": False, "n": None}) == (
        "[true|false|]"
    )


def test_a_template_is_compiled_once() -> None:
    text = f"Hi {{{{ name }}}} {uuid.uuid4()}"
    before = templates.compiled.cache_info()

    assert render(text, {"name": "a"}).startswith("Hi a ")
    assert render(text, {"name": "b"}).startswith("Hi b ")

    after = templates.compiled.cache_info()
    assert after.misses == before.misses + 1  # parsed once, then found for every other use
    assert after.hits > before.hits
    assert after.maxsize == templates.TEMPLATE_CACHE_SIZE


@pytest.mark.parametrize(
    ("text", "values"),
    [
        pytest.param("{% for i in (1..100000) %}x{% endfor %}", {}, id="long-loop"),
        pytest.param(
            "{% for i in (1..100) %}{% for j in (1..200) %}x{% endfor %}{% endfor %}",
            {},
            id="nested-loops",
        ),
        pytest.param(
            "{% for i in (1..1000) %}{{ big }}{% endfor %}", {"big": "x" * 1000}, id="big-output"
        ),
        pytest.param(
            "{% for i in (1..1000) %}{% assign s = s | append: big %}{% endfor %}",
            {"s": "", "big": "x" * 1000},
            id="big-assign",
        ),
    ],
)
def test_a_template_that_grows_without_bound_is_stopped(
    text: str, values: dict[str, object]
) -> None:
    with pytest.raises(RenderFailed) as raised:
        render(text, values)

    assert "limit reached" in str(raised.value)


def test_a_filter_error_is_a_render_failure() -> None:
    with pytest.raises(RenderFailed):
        render("{{ n | divided_by: 0 }}", {"n": 1})


# ---- check_template and used_variables ----------------------------------------------------


def test_check_template_names_the_line_and_quotes_little() -> None:
    text = "line one\nline two\n{% if %}" + "y" * 5_000

    (problem,) = check_template(text, ("prompt",))

    assert problem.path == ("prompt",)
    assert problem.message == "Template error on line 3: missing expression."
    assert problem.code is ErrorCode.INVALID_TEMPLATE
    assert len(problem.message) < 200
    assert "yyy" not in problem.message


def test_check_template_accepts_plain_text() -> None:
    assert check_template("No templating here: 100% {sure}.", ("prompt",)) == []


def test_used_variables_are_the_roots_the_template_reads() -> None:
    text = (
        "{{ customer.name | default: fallback }} {% if vip or balance > minimum %}!{% endif %}"
        "{% case tier %}{% when 'gold' %}g{% endcase %}{{ list[index] }}"
    )

    assert used_variables(text) == {
        "customer",
        "fallback",
        "vip",
        "balance",
        "minimum",
        "tier",
        "list",
        "index",
    }


def test_used_variables_leave_out_what_the_template_makes() -> None:
    text = (
        "{% assign greeting = name | prepend: 'Hi ' %}{{ greeting }}"
        "{% capture footer %}{{ signature }}{% endcapture %}{{ footer }}"
        "{% for item in items %}{{ item.title }} {{ forloop.index }}{% endfor %}"
        "{% increment counter %}{{ counter }}"
        "{% tablerow cell in cells %}{{ cell }}{% endtablerow %}"
    )

    assert used_variables(text) == {"name", "signature", "items", "cells"}


def test_a_loop_variable_used_after_its_loop_is_a_variable() -> None:
    assert used_variables("{% for item in items %}{% endfor %}{{ item }}") == {"items", "item"}


def test_a_template_that_does_not_parse_uses_nothing() -> None:
    assert used_variables("{{ broken") == set()

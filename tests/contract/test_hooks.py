"""graphql_schema/hooks.py runs extension hooks as Strawberry's runner does: the same order, the
same errors (each test also passes with SchemaExtensionsRunner in HookRunner's place)."""

from collections.abc import Iterator
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

from graphql_schema.hooks import HookRunner
from graphql_schema.schema import schema as served

calls: list[str] = []


class Failed(Exception):
    pass


def _recording(name: str, fail_before: str = "", fail_after: str = "") -> type[SchemaExtension]:
    def hook(stage: str) -> Any:
        def run(self: SchemaExtension) -> Iterator[None]:
            calls.append(f"{name} {stage}")
            if fail_before == stage:
                raise Failed(f"{name} before {stage}")
            try:
                yield
            except Failed as error:
                calls.append(f"{name} saw {error}")
                raise
            calls.append(f"{name} /{stage}")
            if fail_after == stage:
                raise Failed(f"{name} after {stage}")

        return run

    stages = ("on_operation", "on_parse", "on_validate", "on_execute")
    short = {stage: hook(stage.removeprefix("on_")) for stage in stages}
    return type(name, (SchemaExtension,), short)


class Swallowing(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        try:
            yield
        except Failed:
            calls.append("swallowed")


class Plain(SchemaExtension):
    def on_parse(self) -> None:  # type: ignore[override]  # no generator: runs whole on entry
        calls.append("plain parse")


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"


class HookedSchema(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return HookRunner(execution_context, extensions)


async def _run(*extensions: type[SchemaExtension]) -> Any:
    calls.clear()
    return await HookedSchema(query=Query, extensions=list(extensions)).execute("{ hello }")


async def test_hooks_nest_in_order_and_finish_in_reverse() -> None:
    result = await _run(_recording("A"), _recording("B"), Plain)
    assert result.errors is None
    assert result.data == {"hello": "hi"}
    assert calls == [
        "A operation",
        "B operation",
        "A parse",
        "B parse",
        "plain parse",
        "B /parse",
        "A /parse",
        "A validate",
        "B validate",
        "B /validate",
        "A /validate",
        "A execute",
        "B execute",
        "B /execute",
        "A /execute",
        "B /operation",
        "A /operation",
    ]


async def test_a_hook_failing_after_its_yield_reaches_the_hooks_around_it() -> None:
    result = await _run(_recording("A"), _recording("B", fail_after="execute"))
    assert [error.message for error in result.errors] == ["B after execute"]
    assert "A saw B after execute" in calls
    assert "A /execute" not in calls  # A passed the error on


async def test_a_hook_may_swallow_the_error_of_one_inside_it() -> None:
    result = await _run(Swallowing, _recording("B", fail_after="execute"))
    assert result.errors is None
    assert result.data == {"hello": "hi"}
    assert "swallowed" in calls


async def test_hooks_started_before_one_that_fails_to_start_are_finished() -> None:
    result = await _run(_recording("A"), _recording("B", fail_before="execute"))
    assert [error.message for error in result.errors] == ["B before execute"]
    assert "A saw B before execute" in calls


def test_the_served_schema_runs_its_hooks_this_way() -> None:
    context = ExecutionContext(query="{ __typename }", schema=served, allowed_operations=set())
    assert isinstance(served.create_extensions_runner(context, []), HookRunner)

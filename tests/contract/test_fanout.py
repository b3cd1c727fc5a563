"""Documents whose fragments multiply or nest: refused in time linear in their size, with
QUERY_TOO_COMPLEX, while the server goes on serving everyone else; fragments used honestly
still pass, and the depth and alias limits still hold through them."""

import asyncio
import os
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from app.platform.embedded import EmbeddedDatabase
from graphql_schema.limits import MAX_NESTING, MAX_SELECTIONS, measure
from graphql_schema.schema import MAX_ALIASES, MAX_DEPTH
from tests.support.client import GraphQLClient, voice_input
from tests.support.processes import Server, serving

TOO_COMPLEX = "QUERY_TOO_COMPLEX"
# Far beyond what a refusal takes (milliseconds), far below what the walk used to (hours).
PATIENCE = 20.0


def _fan_out(levels: int) -> str:
    """`{ ...F0 }` where each fragment spreads the next twice: 2^levels copies of the last."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    return " ".join(["{ ...F0 }", *fragments, f"fragment F{levels} on Query {{ __typename }}"])


def _chain(levels: int) -> str:
    """`{ ...F0 }` where each fragment spreads the next once, `levels` deep."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(levels)]
    return " ".join(["{ ...F0 }", *fragments, f"fragment F{levels} on Query {{ __typename }}"])


def _codes(body: dict[str, Any]) -> list[str | None]:
    return [(error.get("extensions") or {}).get("code") for error in body.get("errors") or []]


def _messages(body: dict[str, Any]) -> list[str]:
    return [error["message"] for error in body.get("errors") or []]


@contextmanager
def _killed_if_stuck(server: Server) -> Iterator[None]:
    """Kills a server whose event loop never comes back: SIGTERM alone would wait for it."""
    try:
        yield
    except BaseException:
        started = [re.search(r"Started server process \[(\d+)\]", line) for line in server.lines]
        for match in filter(None, started):
            with suppress(ProcessLookupError):
                os.kill(int(match[1]), signal.SIGKILL)
        raise


# --- through a real server ----------------------------------------------------------------------


async def test_a_2_to_the_30_fan_out_is_refused_while_a_probe_sent_with_it_is_served(
    tmp_path: Path, mongo_server: EmbeddedDatabase
) -> None:
    with serving(tmp_path, MONGODB_URI=mongo_server.uri) as server, _killed_if_stuck(server):
        async with httpx.AsyncClient(
            base_url=server.url, headers=server.headers, timeout=PATIENCE
        ) as http:
            # Sent together: while one request holds the event loop, no other is answered.
            fan_out = http.post("/graphql", json={"query": _fan_out(30)})
            probe = http.post("/graphql", json={"query": "{ __typename }"})
            refused, probed = await asyncio.gather(fan_out, probe)
    assert probed.json() == {"data": {"__typename": "Query"}}
    body = refused.json()
    assert refused.status_code == 200
    assert body["data"] is None
    assert _codes(body) == [TOO_COMPLEX], body
    assert _messages(body) == [f"The document expands to more than {MAX_SELECTIONS} selections."]


# --- through the test client --------------------------------------------------------------------


async def test_a_fan_out_just_within_the_bound_is_answered_and_one_level_more_is_not(
    api: GraphQLClient,
) -> None:
    # Eleven levels expand to 6,143 selections, twelve to 12,287.
    assert await api.data(_fan_out(11)) == {"__typename": "Query"}
    body = await api.execute(_fan_out(12))
    assert body["data"] is None
    assert _codes(body) == [TOO_COMPLEX]


async def test_a_300_deep_chain_of_fragments_answers_a_clean_refusal(api: GraphQLClient) -> None:
    body = await api.execute(_chain(300))
    assert body["data"] is None
    assert _codes(body) == [TOO_COMPLEX], body
    assert _messages(body) == [f"The document nests deeper than {MAX_NESTING} levels."]


async def test_a_spread_of_an_unknown_fragment_is_refused_by_name(api: GraphQLClient) -> None:
    body = await api.execute("{ ...Nowhere __typename }")
    assert body["data"] is None
    assert _messages(body) == ["Unknown fragment 'Nowhere'."]


async def test_a_cycle_of_fragments_is_refused_as_a_cycle(api: GraphQLClient) -> None:
    body = await api.execute(
        "{ ...A } fragment A on Query { ...B __typename } fragment B on Query { ...A }"
    )
    assert body["data"] is None
    assert _messages(body) == ["Cannot spread fragment 'A' within itself via 'B'."]


async def test_a_query_using_fragments_several_times_is_answered(api: GraphQLClient) -> None:
    await api.create_persona(name="Fragments", voiceConfigurations=[voice_input()])
    query = """
    {
      first: personas(first: 1) { ...Page }
      again: personas(first: 5) { ...Page }
    }
    fragment Page on PersonaConnection { totalCount edges { node { ...Persona } } }
    fragment Persona on Persona { id draft { ...Snapshot } production { snapshot { ...Snapshot } } }
    fragment Snapshot on PersonaSnapshot { name voiceConfigurations { ...Voice } }
    fragment Voice on VoiceConfiguration { locale voice { key } model { key } }
    """
    data = await api.data(query)
    assert data["first"] == data["again"]
    node = data["first"]["edges"][0]["node"]
    assert node["production"] is None
    assert node["draft"]["name"] == "Fragments"
    assert node["draft"]["voiceConfigurations"] == [
        {"locale": "en-US", "voice": {"key": "sara-en-us-f"}, "model": {"key": "gpt-4o-mini"}}
    ]


async def test_depth_is_counted_through_fragments_and_refused_with_the_code(
    api: GraphQLClient,
) -> None:
    # Each fragment adds one field of depth: eleven of them pass the limit of ten.
    levels = MAX_DEPTH + 1
    fragments = [f"fragment D{i} on Query {{ deeper {{ ...D{i + 1} }} }}" for i in range(levels)]
    query = " ".join(["query Deep { ...D0 }", *fragments, f"fragment D{levels} on Query {{ a }}"])
    body = await api.execute(query)
    assert body["data"] is None
    refusals = [
        error
        for error in body["errors"]
        if error["message"] == f"'Deep' exceeds maximum operation depth of {MAX_DEPTH}"
    ]
    assert len(refusals) == 1, body
    assert refusals[0]["extensions"] == {"code": TOO_COMPLEX}


async def test_aliases_are_counted_at_every_spread_and_refused_with_the_code(
    api: GraphQLClient,
) -> None:
    aliases = " ".join(f"a{index}: __typename" for index in range(4))
    fragment = f"fragment Four on Query {{ {aliases} }}"
    allowed = await api.data(f"{{ ...Four ...Four ...Four }} {fragment}")
    assert len(allowed) == 4
    body = await api.execute(f"{{ ...Four ...Four ...Four ...Four }} {fragment}")
    assert body["data"] is None
    assert _messages(body) == [f"16 aliases found. Allowed: {MAX_ALIASES}"]
    assert _codes(body) == [TOO_COMPLEX]


# --- the measure itself -------------------------------------------------------------------------


def _expanded_naively(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> int:
    """Selections with every spread replaced by its fragment, the exponential way."""
    count = 0
    for selection in selection_set.selections:
        count += 1
        if isinstance(selection, FragmentSpreadNode):
            count += _expanded_naively(fragments[selection.name.value].selection_set, fragments)
        elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
            count += _expanded_naively(selection.selection_set, fragments)
    return count


def test_the_expanded_size_is_that_of_the_naive_expansion() -> None:
    for levels in range(8):
        extra = " fragment Extra on Query { a: __typename b { c ... on Query { d } } }"
        document = parse(_fan_out(levels).replace("{ ...F0 }", "{ ...F0 ...Extra }") + extra)
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        expected = _expanded_naively(operation.selection_set, fragments)
        # The fan-out with its spread is 3 * 2^levels - 1; Extra with its spread is 6.
        assert expected == 3 * 2**levels + 5
        assert measure(document).selections == expected


def test_each_selection_is_visited_once_however_often_it_is_spread() -> None:
    shape = measure(parse(_fan_out(30)))
    # Two spreads in each of thirty fragments, one in the operation, one leaf.
    assert shape.walked == 2 * 30 + 1 + 1
    assert shape.selections == MAX_SELECTIONS + 1
    assert shape.nesting == 32
    assert [operation.depth for _, operation in shape.operations] == [0]


def test_depth_skips_introspection_fields_and_cycles_end() -> None:
    shape = measure(
        parse(
            "{ a { b { c } } __schema { types { fields { name } } } z { ...X } }"
            " fragment X on Query { d { ...Y } } fragment Y on Query { e { f } ...X }"
        )
    )
    assert [operation.depth for _, operation in shape.operations] == [3]
    assert shape.walked == 14

"""Operations generated from the printed schema: the API answers every one without a bug,
and nothing it refuses reaches the database."""

import gc
import json
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import graphql
import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, nodes

from app.library.catalog import Channel, load_catalog
from app.library.locales import canonical_locale
from app.personas.documents import Persona, PersonaVersion, Snapshot
from app.personas.validation import (
    DURATION,
    MAX_FIRST_MESSAGE,
    MAX_NAME,
    MAX_PROMPT,
    TEMPERATURE,
    publish_problems,
)
from app.platform.database import MongoDatabase
from graphql_schema import ids
from tests.support.client import GraphQLClient, chat_input, voice_input

SCHEMA = graphql.build_schema(
    (Path(__file__).resolve().parents[2] / "graphql_schema" / "schema.graphql").read_text()
)
CATALOG = load_catalog()
LOCALES = sorted({locale for voice in CATALOG.voices.values() for locale in voice.locales})
# Strings the API gives meaning to, so generated inputs sometimes pass validation.
MEANINGFUL = [
    *CATALOG.voices,
    *CATALOG.models,
    *LOCALES,
    *(locale.lower() for locale in LOCALES),
    "en",
    "en_US",
    "xx-ZZ",
    "",
    " ",
]
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)

# Enough examples to reach every field a few times, few enough to keep the file quick.
FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,  # no example database: every run starts fresh, and none is saved
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _strings() -> st.SearchStrategy[graphql.ValueNode]:
    return st.one_of(st.sampled_from(MEANINGFUL), TEXT).map(nodes.String)


def _ints() -> st.SearchStrategy[graphql.ValueNode]:
    # Small numbers hit revisions and versions; the rest are the edges of the API's ranges.
    edges = [0, 1, 9, 10, 30, 100, 101, 1024, 1800, 14_400, 14_401, 2**31 - 1, -(2**31)]
    return st.one_of(
        st.integers(-1, 4), st.sampled_from(edges), st.integers(-(2**31), 2**31 - 1)
    ).map(nodes.Int)


def _moments() -> st.SearchStrategy[graphql.ValueNode]:
    # Schedules: soon, past, too far, without an offset, and text that is no moment at all.
    now = datetime.now(UTC)
    edges = [now + timedelta(hours=1), now - timedelta(days=1), now + timedelta(days=400)]
    meaningful = [moment.isoformat() for moment in edges]
    meaningful += [edges[0].replace(tzinfo=None).isoformat(), "2027-02-30T09:00:00Z", ""]
    return st.one_of(st.sampled_from(meaningful), TEXT).map(nodes.String)


def _json() -> st.SearchStrategy[graphql.ValueNode]:
    # Variable values: objects of names persona variables could have, of every JSON kind.
    names = st.sampled_from(["plan", "clinic", "first_name", "Bad Name", "locale", ""])
    leaves = st.one_of(_strings(), _ints(), _floats(), st.booleans().map(nodes.Boolean))
    values = st.one_of(leaves, st.lists(leaves, max_size=2).map(nodes.List), st.just(nodes.Null))
    fields = st.lists(
        st.tuples(names, values).map(
            lambda pair: graphql.ObjectFieldNode(
                name=graphql.NameNode(value=pair[0]), value=pair[1]
            )
        ),
        max_size=3,
        unique_by=lambda field: field.name.value,
    )
    return st.one_of(fields.map(nodes.Object), leaves)


def _floats() -> st.SearchStrategy[graphql.ValueNode]:
    edges = [0.0, -0.0, 0.7, 2.0, 2.0000001, -1e-9, 1e308]
    finite = st.floats(allow_nan=False, allow_infinity=False)
    return st.one_of(st.sampled_from(edges), finite).map(nodes.Float)


class KnownPersonas:
    """The ids of the personas the workspace holds now, for generated ids to hit.

    Generated operations pick a slot, not an id: the choices Hypothesis records stay the same
    whichever personas exist when an example is replayed.
    """

    SLOTS = 4

    def __init__(self) -> None:
        self.ids: list[str] = []

    def at(self, slot: int) -> str:
        return self.ids[slot % len(self.ids)] if self.ids else ids.encode("Persona", "0" * 24)

    async def refresh(self, api: GraphQLClient) -> None:
        data = await api.data("{ personas(first: 10) { edges { node { id } } } }")
        self.ids = sorted(edge["node"]["id"] for edge in data["personas"]["edges"])


def _ids(known: KnownPersonas) -> st.SearchStrategy[graphql.ValueNode]:
    others = [
        ids.encode("Persona", "0" * 24),
        ids.encode("Persona", "not-an-object-id"),
        ids.encode("Voice", "sara-en-us-f"),
        ids.cursor(0),
        "",
    ]
    return st.one_of(
        st.integers(0, KnownPersonas.SLOTS - 1).map(known.at),
        st.sampled_from(others),
        TEXT,
    ).map(nodes.String)


def _operations(kind: str, mode: Mode, known: KnownPersonas) -> st.SearchStrategy[str]:
    scalars: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
        "Locale": _strings(),
        "String": _strings(),
        "Int": _ints(),
        "Float": _floats(),
        "DateTime": _moments(),
        "JSON": _json(),
        "ID": _ids(known),
    }
    make = hypothesis_graphql.queries if kind == "query" else hypothesis_graphql.mutations
    strategy: st.SearchStrategy[str] = make(SCHEMA, custom_scalars=scalars, mode=mode)
    return strategy


class Fuzzer:
    """An ADMIN, the personas its operations may hit, and the operations to send."""

    def __init__(self, api: GraphQLClient, database: MongoDatabase) -> None:
        self.api = api
        self.database = database
        self.known = KnownPersonas()
        self.strategies = {
            (kind, mode): _operations(kind, mode, self.known)
            for kind in ("query", "mutation")
            for mode in Mode
        }

    async def run(self, data: st.DataObject, kind: str, mode: Mode) -> None:
        await self.known.refresh(self.api)
        document = data.draw(self.strategies[kind, mode], label=f"{kind} ({mode.name})")
        body = await _run(self.api, document)
        if mode is Mode.NEGATIVE:
            # One schema violation: refused as a whole, before anything runs.
            assert body.get("errors"), (document, body)
            assert body.get("data") is None, (document, body)
        await _assert_database_valid(self.api, self.database)


@pytest.fixture
async def fuzzer(api: GraphQLClient, database: MongoDatabase) -> AsyncIterator[Fuzzer]:
    """A workspace holding a published persona with voice and chat, and a draft."""
    published = await api.create_persona(
        name="Published",
        voiceConfigurations=[voice_input(), voice_input(locale="ar-AE", voiceKey="layla-ar-ae-f")],
        chatConfiguration=chat_input(),
    )
    publish = (
        "mutation($i: PublishPersonaInput!) { publishPersona(input: $i) { userErrors { code } } }"
    )
    data = await api.data(publish, i={"personaId": published["id"], "expectedRevision": 1})
    assert data["publishPersona"]["userErrors"] == []
    await api.create_persona(name="Draft only")
    yield Fuzzer(api, database)
    # Finalize any socket PyMongo leaked (see LEAKED_SOCKETS) while this test's filter applies,
    # rather than in whichever later test the garbage collector happens to run.
    gc.collect()


async def _run(api: GraphQLClient, document: str) -> dict[str, Any]:
    """Send one generated operation and check the answer is a client's, never a bug's."""
    response = await api.http.post("/graphql", json={"query": document})
    text = response.text
    assert response.status_code in (200, 400), (response.status_code, text)
    assert "Traceback" not in text, text
    assert 'File "' not in text, text
    body = json.loads(text)
    assert isinstance(body, dict), text
    messages = [error.get("message") for error in body.get("errors") or []]
    assert "Unexpected error." not in messages, (document, body)
    if response.status_code == 200:
        assert "data" in body or messages, text
    return body


# --- what is stored is what the API allows ------------------------------------------------------


def _check_voice_rules(locale: str, voice: Any, where: str) -> None:
    assert voice.locale == locale == canonical_locale(locale), where
    assert voice.prompt.strip(), where
    assert len(voice.prompt) <= MAX_PROMPT, where
    catalog_voice = CATALOG.voices.get(voice.voice_key)
    assert catalog_voice is not None, where
    assert catalog_voice.speaks(locale), where
    model = CATALOG.models.get(voice.model_key)
    assert model is not None, where
    assert Channel.VOICE in model.channels, where
    low, high = TEMPERATURE
    assert math.isfinite(voice.temperature), where
    assert low <= voice.temperature <= high, where
    assert DURATION[0] <= voice.max_duration_seconds <= DURATION[1], where
    assert 1 <= voice.silence_timeout_seconds <= voice.max_duration_seconds, where
    assert voice.first_message is None or len(voice.first_message) <= MAX_FIRST_MESSAGE, where


def _check_snapshot_rules(snapshot: Snapshot, where: str) -> None:
    assert snapshot.name.strip(), where
    assert snapshot.name == snapshot.name.strip(), where
    assert len(snapshot.name) <= MAX_NAME, where
    for locale, voice in snapshot.voice_configurations.items():
        _check_voice_rules(locale, voice, f"{where} voice {locale}")
    chat = snapshot.chat_configuration
    if chat is not None:
        assert chat.prompt.strip(), where
        assert len(chat.prompt) <= MAX_PROMPT, where
        model = CATALOG.models.get(chat.model_key)
        assert model is not None, where
        assert Channel.CHAT in model.channels, where
        assert math.isfinite(chat.temperature), where
        assert TEMPERATURE[0] <= chat.temperature <= TEMPERATURE[1], where
        assert 1 <= chat.max_tokens <= model.max_output_tokens, where


async def _assert_database_valid(api: GraphQLClient, database: MongoDatabase) -> None:
    personas = [Persona.model_validate(raw) async for raw in database["personas"].find()]
    versions = [
        PersonaVersion.model_validate(raw) async for raw in database["persona_versions"].find()
    ]
    persona_ids = {persona.id for persona in personas}
    for persona in personas:
        where = f"persona {persona.id}"
        assert persona.workspace_id == api.principal.workspace_id, where
        assert persona.revision >= 1, where
        _check_snapshot_rules(persona.draft, f"{where} draft")
        assert persona.draft_digest == persona.draft.digest(), where
        own = sorted(v.version for v in versions if v.persona_id == persona.id)
        assert own == list(range(1, len(own) + 1)), where
        production = persona.production
        if production is None:
            assert own == [], where
            continue
        assert production.version == len(own), where
        assert production.digest == production.snapshot.digest(), where
        _check_snapshot_rules(production.snapshot, f"{where} production")
        assert publish_problems(production.snapshot, CATALOG) == [], where
    for version in versions:
        where = f"version {version.version} of {version.persona_id}"
        assert version.persona_id in persona_ids, where  # deleted with its persona
        assert version.digest == version.snapshot.digest(), where
        _check_snapshot_rules(version.snapshot, where)
        assert publish_problems(version.snapshot, CATALOG) == [], where


# --- the fuzz tests -----------------------------------------------------------------------------

# Third-party: when a non-null field fails, graphql-core cancels its sibling resolvers; one
# cancelled while PyMongo 4.20 is opening a new pool connection leaves that socket unclosed
# until garbage collection (pymongo/pool_shared.py _async_create_connection catches only
# OSError and TimeoutError; upstream PYTHON-5867). Generated operations hit that now and then.
LEAKED_SOCKETS = pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")


@LEAKED_SOCKETS
@FUZZ
@given(data=st.data())
async def test_generated_queries(fuzzer: Fuzzer, data: st.DataObject) -> None:
    await fuzzer.run(data, "query", Mode.POSITIVE)


@LEAKED_SOCKETS
@settings(FUZZ, max_examples=120)
@given(data=st.data())
async def test_generated_mutations(fuzzer: Fuzzer, data: st.DataObject) -> None:
    await fuzzer.run(data, "mutation", Mode.POSITIVE)


@LEAKED_SOCKETS
@FUZZ
@given(data=st.data(), kind=st.sampled_from(["query", "mutation"]))
async def test_generated_invalid_operations(fuzzer: Fuzzer, data: st.DataObject, kind: str) -> None:
    await fuzzer.run(data, kind, Mode.NEGATIVE)


async def test_the_invariants_catch_an_invalid_document(fuzzer: Fuzzer) -> None:
    """The checks every fuzzed example ends with do fail on what the API must never store."""
    await _assert_database_valid(fuzzer.api, fuzzer.database)
    bad_voice = {"draft.voice_configurations.en-US.voice_key": "omar-ar-ae-m"}
    await fuzzer.database["personas"].update_one({"draft.name": "Published"}, {"$set": bad_voice})
    with pytest.raises(AssertionError, match="voice en-US"):
        await _assert_database_valid(fuzzer.api, fuzzer.database)

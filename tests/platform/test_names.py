"""Names must look like what they are: stored in NFC, refused when invisible or spoofing."""

import unicodedata
from typing import Any

import pytest

from app.access.keys import workspace_named
from app.platform.database import MongoDatabase
from app.platform.errors import ErrorCode, InvalidInput
from app.platform.text import check_free_text, check_name
from tests.release.publishing import create, publishable
from tests.support.client import CREATE, CREATE_KEY, UPDATE, GraphQLClient, mutate, publish, stored

PATH = ("draft", "name")
DECOMPOSED = "Cafe\u0301 Ame\u0301lie"  # "e" + COMBINING ACUTE ACCENT, twice
COMPOSED = "Café Amélie"

INVISIBLE = [
    pytest.param("\u200b\u200b\u200b", id="zero-width-spaces"),
    pytest.param("\u200c\u200d\u2060\ufeff", id="joiners-word-joiner-bom"),
    pytest.param("\u200e\u200f", id="direction-marks-only"),
    pytest.param("\u3164", id="hangul-filler"),
    pytest.param("\u115f\u1160", id="hangul-choseong-jungseong-fillers"),
    pytest.param("\uffa0\uffa0", id="halfwidth-hangul-filler"),
    pytest.param("\u2800", id="braille-blank"),
    pytest.param("\u0301\u0302\u20dd", id="combining-marks-only"),
    pytest.param("\u00ad\u034f\ufe0f", id="soft-hyphen-grapheme-joiner-variation-selector"),
    pytest.param("\ue000\U000f0000", id="private-use"),
    pytest.param("\U000e0041\U000e0042", id="tag-characters"),
    pytest.param("\u3000\u2003\u00a0", id="unicode-spaces-only"),
]

REFUSED = [
    pytest.param("Front desk \u202egnp.exe", "bidirectional", id="right-to-left-override"),
    pytest.param("\u202dSales", "bidirectional", id="left-to-right-override"),
    pytest.param("Sales\u202a", "bidirectional", id="left-to-right-embedding"),
    pytest.param("Sales \u202bx\u202c", "bidirectional", id="embedding-and-pop"),
    pytest.param("\u2066Sales\u2069", "bidirectional", id="left-to-right-isolate"),
    pytest.param("\u2067x\u2069", "bidirectional", id="right-to-left-isolate"),
    pytest.param("\u2068x", "bidirectional", id="first-strong-isolate"),
    pytest.param("Sa\x00les", "NUL", id="nul"),
    pytest.param("\x00", "NUL", id="nul-only"),
    pytest.param("Sales\x07", "control", id="bell"),
    pytest.param("Sales\tTeam", "control", id="tab"),
    pytest.param("Sales\nTeam", "control", id="newline"),
    pytest.param("Sales\x1b[31mred", "control", id="terminal-escape"),
    pytest.param("Sales\x7f", "control", id="delete"),
    pytest.param("Sales\x85Team", "control", id="next-line-c1"),
    pytest.param("Sales\u2028Team", "control", id="line-separator"),
    pytest.param("Sales\u2029Team", "control", id="paragraph-separator"),
    pytest.param("Sales\ud800", "surrogate", id="lone-high-surrogate"),
    pytest.param("\udc00Sales", "surrogate", id="lone-low-surrogate"),
    pytest.param("", "empty", id="empty"),
    pytest.param(" \t\n ", "empty", id="whitespace-only"),
]

ACCEPTED = [
    pytest.param("Sales", "Sales", id="plain"),
    pytest.param("  Sales  ", "Sales", id="surrounding-spaces"),
    pytest.param(DECOMPOSED, COMPOSED, id="decomposed-becomes-nfc"),
    pytest.param("\u212b ngström", "\u00c5 ngström", id="angstrom-sign-becomes-a-ring"),
    pytest.param("שלום\u200f (Beta)", "שלום\u200f (Beta)", id="hebrew-with-rlm"),
    pytest.param("مرحبا\u061c 2", "مرحبا\u061c 2", id="arabic-letter-mark"),
    pytest.param(
        "\u0645\u06cc\u062e\u0648\u0627\u0647\u0645",
        "\u0645\u06cc\u062e\u0648\u0627\u0647\u0645",
        id="persian",
    ),
    pytest.param(
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        id="persian-zero-width-non-joiner",
    ),
    pytest.param("👨\u200d👩\u200d👧 Family", "👨\u200d👩\u200d👧 Family", id="emoji-zwj-sequence"),
    pytest.param(
        "🏴\U000e0067\U000e0062\U000e007f", "🏴\U000e0067\U000e0062\U000e007f", id="tag-flag"
    ),
    pytest.param("한국어 상담원", "한국어 상담원", id="korean"),
    pytest.param("\u1100\u1161", "\uac00", id="hangul-jamo-compose"),
    pytest.param("Agent 007", "Agent 007", id="digits"),
    pytest.param("★", "★", id="symbol-only"),
    pytest.param("-", "-", id="punctuation-only"),
]


def problems_of(value: str, limit: int = 20) -> list[str]:
    _, problems = check_name(value, PATH, "Name", limit)
    assert all(p.path == PATH and p.code is ErrorCode.INVALID for p in problems)
    return [p.message for p in problems]


# ---- the function ----------------------------------------------------------------


@pytest.mark.parametrize("value", INVISIBLE)
def test_a_name_with_no_visible_character_is_refused(value: str) -> None:
    messages = problems_of(value)
    assert len(messages) == 1
    assert "visible character" in messages[0] or "empty" in messages[0]


def test_invisible_padding_does_not_make_a_name_visible() -> None:
    assert problems_of("\u3164\u200b\u0301\u3164") == [
        "Name must contain at least one visible character."
    ]


@pytest.mark.parametrize(("value", "reason"), REFUSED)
def test_hostile_names_are_refused_with_a_reason(value: str, reason: str) -> None:
    messages = problems_of(value)
    assert messages, value
    assert any(reason in message for message in messages), messages


@pytest.mark.parametrize(("value", "expected"), ACCEPTED)
def test_names_are_accepted_in_nfc_without_surrounding_whitespace(
    value: str, expected: str
) -> None:
    name, problems = check_name(value, PATH, "Name", 20)
    assert problems == []
    assert name == expected
    assert unicodedata.is_normalized("NFC", name)


def test_the_length_is_counted_after_normalisation() -> None:
    # Ten decomposed letters take twenty code points but are ten characters once composed.
    name, problems = check_name("e\u0301" * 10, PATH, "Name", 10)
    assert (name, problems) == ("é" * 10, [])
    assert problems_of("é" * 11, limit=10) == ["Name must be at most 10 characters."]


def test_messages_never_quote_the_name() -> None:
    hostile = "Front desk \u202egnp.exe\x00" + "x" * 500
    for message in problems_of(hostile, limit=1000) + problems_of(hostile, limit=5):
        assert "Front desk" not in message
        assert "x" * 10 not in message


def test_free_text_may_hold_anything_but_nul_and_lone_surrogates() -> None:
    hostile = "Be kind.\u202e\u200b\u3164\t\n\x07 \u0301"
    assert check_free_text(hostile, ("prompt",), "Prompt") == []
    refused = check_free_text("a\x00b", ("prompt",), "Prompt")
    assert [(p.path, p.message) for p in refused] == [
        (("prompt",), "Prompt must not contain a NUL character.")
    ]
    assert check_free_text("a\udfffb", ("prompt",), "Prompt")[0].message == (
        "Prompt must not contain unpaired surrogates."
    )


async def test_workspace_names_follow_the_same_rule(database: MongoDatabase) -> None:
    composed = await workspace_named(DECOMPOSED)
    assert composed.name == COMPOSED
    assert (await workspace_named(COMPOSED)).id == composed.id
    with pytest.raises(InvalidInput) as refused:
        await workspace_named("acme\u202e")
    assert [p.path for p in refused.value.problems] == [("workspace",)]
    assert await database["workspaces"].count_documents({}) == 1


# ---- through GraphQL -------------------------------------------------------------


def _refusal(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["userErrors"]]


@pytest.mark.parametrize(
    "name", ["Front desk \u202egnp.exe", "\u200b\u3164", "a\x00b", "\u0301", "x\u2066y"]
)
async def test_create_persona_refuses_hostile_names_and_stores_nothing(
    api: GraphQLClient, database: MongoDatabase, name: str
) -> None:
    payload = await mutate(api, CREATE, name=name)
    assert payload["persona"] is None
    assert _refusal(payload) == [("INVALID", ["name"])]
    assert await database["personas"].count_documents({}) == 0


async def test_create_and_update_persona_store_names_in_nfc(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    created = await mutate(api, CREATE, name=f" {DECOMPOSED} ")
    assert created["persona"]["draft"]["name"] == COMPOSED
    persona = created["persona"]
    doc = await database["personas"].find_one({})
    assert doc is not None
    assert doc["draft"]["name"] == COMPOSED

    renamed = await mutate(
        api, UPDATE, id=persona["id"], expectedRevision=persona["revision"], name="Se\u0301ance"
    )
    assert renamed["persona"]["draft"]["name"] == "Séance"
    doc = await database["personas"].find_one({})
    assert doc is not None
    assert doc["draft"]["name"] == "Séance"


async def test_update_persona_refuses_a_spoofing_name_and_changes_nothing(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = (await mutate(api, CREATE, name="Sales"))["persona"]
    before = await stored(database)

    payload = await mutate(
        api, UPDATE, id=persona["id"], expectedRevision=persona["revision"], name="\u202eSales"
    )

    assert payload["persona"] is None
    assert _refusal(payload) == [("INVALID", ["name"])]
    assert await stored(database) == before


async def test_prompts_refuse_nul_but_keep_any_other_text(api: GraphQLClient) -> None:
    voice = {"locale": "en-US", "voiceKey": "sara-en-us-f", "modelKey": "gpt-4o-mini"}
    refused = await mutate(
        api,
        CREATE,
        name="Sales",
        voiceConfigurations=[{**voice, "prompt": "Be kind.\x00", "firstMessage": "Hi\x00"}],
    )
    assert _refusal(refused) == [
        ("INVALID", ["voiceConfigurations", "0", "prompt"]),
        ("INVALID", ["voiceConfigurations", "0", "firstMessage"]),
    ]
    odd = "Speak \u202eslowly\u202c.\u200b\tThen\nstop."
    created = await mutate(
        api, CREATE, name="Sales", voiceConfigurations=[{**voice, "prompt": odd}]
    )
    assert created["userErrors"] == []
    assert created["persona"]["draft"]["voiceConfigurations"][0]["prompt"] == odd


async def test_create_api_key_stores_nfc_and_refuses_hostile_names(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    keys_before = await database["api_keys"].count_documents({})
    for name in ("ops \u202egnp.exe", "\u3164", "ci\x00", "\u200f\u200e"):
        payload = await mutate(api, CREATE_KEY, name=name, role="VIEWER")
        assert payload["apiKey"] is None
        assert payload["key"] is None
        assert _refusal(payload) == [("INVALID", ["name"])], name
    assert await database["api_keys"].count_documents({}) == keys_before

    made = await mutate(api, CREATE_KEY, name=DECOMPOSED, role="VIEWER")
    assert made["apiKey"]["name"] == COMPOSED
    doc = await database["api_keys"].find_one({"name": COMPOSED})
    assert doc is not None


async def test_a_publish_note_refuses_nul_and_publishes_nothing(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())

    refused = await publish(api, persona, note="Release\x00")

    assert _refusal(refused) == [("INVALID", ["note"])]
    assert await database["persona_versions"].count_documents({}) == 0
    published = await publish(api, persona, note="Release \u202e\u200b\tnotes")
    assert published["userErrors"] == []
    assert published["version"]["note"] == "Release \u202e\u200b\tnotes"

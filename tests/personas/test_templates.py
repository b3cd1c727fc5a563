"""Prompts and first messages are Liquid templates: refused on write when they do not parse,
and kept from publishing while they use a variable the persona does not define."""

from typing import Any

import pytest

from app.platform.database import MongoDatabase
from tests.personas.drafting import create, set_chat
from tests.support.client import (
    SET_VOICE,
    GraphQLClient,
    chat_input,
    errors_of,
    mutate,
    publish,
    stored,
    versions_of,
    voice_input,
)
from tests.support.variables import set_variables, variable

BROKEN = [
    pytest.param("Hi {{ customer_name", id="unclosed-output"),
    pytest.param("{% if returning %}Welcome back.", id="unclosed-if"),
    pytest.param("Hello{% endif %}", id="stray-end-tag"),
    pytest.param("{% frobnicate %}", id="unknown-tag"),
    pytest.param("{{ name | shout }}", id="unknown-filter"),
    pytest.param("{% include 'other' %}", id="include"),
    pytest.param("{% render 'other' %}", id="render"),
    pytest.param("{% for x in %}{% endfor %}", id="bad-for"),
]

FINE = [
    "Hi {{ customer_name | default: 'there' }}",
    "{% if returning %}Welcome back.{% endif %}",
    "You speak {{ locale }} {% for item in items %}{{ forloop.index }}. {{ item }}{% endfor %}",
    "{% assign greeting = 'Hello' %}{{ greeting | upcase }}, {{ name | capitalize }}",
    "Plain text, with braces { and } and percent %.",
]


def _persona_input(field: str, text: str) -> tuple[dict[str, Any], list[str]]:
    """createPersona input with `text` in one templated field, and that field's path."""
    if field == "chat prompt":
        return {"chatConfiguration": chat_input(prompt=text)}, ["chatConfiguration", "prompt"]
    key = "prompt" if field == "voice prompt" else "firstMessage"
    return {"voiceConfigurations": [voice_input(**{key: text})]}, ["voiceConfigurations", "0", key]


FIELDS = ["voice prompt", "voice firstMessage", "chat prompt"]


# ---- at write -------------------------------------------------------------------------


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("text", BROKEN)
async def test_create_refuses_a_broken_template_at_its_field(
    api: GraphQLClient, database: MongoDatabase, field: str, text: str
) -> None:
    before = await stored(database)
    input, path = _persona_input(field, text)

    payload = await create(api, **input)

    assert payload["persona"] is None
    assert errors_of(payload) == [("INVALID_TEMPLATE", path)]
    assert await stored(database) == before


@pytest.mark.parametrize("field", ["prompt", "firstMessage"])
@pytest.mark.parametrize("text", BROKEN)
async def test_set_voice_refuses_a_broken_template(
    api: GraphQLClient, database: MongoDatabase, field: str, text: str
) -> None:
    persona = await api.create_persona()
    before = await stored(database)

    payload = await mutate(
        api,
        SET_VOICE,
        personaId=persona["id"],
        expectedRevision=persona["revision"],
        configuration=voice_input(**{field: text}),
    )

    assert errors_of(payload) == [("INVALID_TEMPLATE", ["configuration", field])]
    assert await stored(database) == before


@pytest.mark.parametrize("text", BROKEN)
async def test_set_chat_refuses_a_broken_template(
    api: GraphQLClient, database: MongoDatabase, text: str
) -> None:
    persona = await api.create_persona()
    before = await stored(database)

    payload = await set_chat(api, persona, chat_input(prompt=text))

    assert errors_of(payload) == [("INVALID_TEMPLATE", ["configuration", "prompt"])]
    assert await stored(database) == before


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("text", FINE)
async def test_valid_templates_are_kept_as_written(
    api: GraphQLClient, field: str, text: str
) -> None:
    input, _ = _persona_input(field, text)

    payload = await create(api, **input)

    assert payload["userErrors"] == []
    draft = payload["persona"]["draft"]
    if field == "chat prompt":
        assert draft["chatConfiguration"]["prompt"] == text
    else:
        voice = draft["voiceConfigurations"][0]
        assert voice["prompt" if field == "voice prompt" else "firstMessage"] == text


async def test_the_message_gives_the_line_and_does_not_quote_the_template(
    api: GraphQLClient,
) -> None:
    persona = await api.create_persona()
    secret = "Confidential instructions. " * 200
    text = f"{secret}\nLine two.\n{{% if %}}yes{{% endif %}}"

    payload = await set_chat(api, persona, chat_input(prompt=text))

    (error,) = payload["userErrors"]
    assert error["code"] == "INVALID_TEMPLATE"
    assert error["message"] == "Template error on line 3: missing expression."
    assert "Confidential" not in error["message"]


async def test_an_unknown_filter_is_named(api: GraphQLClient) -> None:
    persona = await api.create_persona()

    payload = await set_chat(api, persona, chat_input(prompt="{{ a | shout | upcase }}"))

    assert payload["userErrors"] == [
        {
            "field": ["configuration", "prompt"],
            "message": "Unknown template filter: 'shout'.",
            "code": "INVALID_TEMPLATE",
        }
    ]


async def test_an_empty_prompt_is_reported_once(api: GraphQLClient) -> None:
    payload = await create(api, chatConfiguration=chat_input(prompt="   "))

    assert errors_of(payload) == [("INVALID", ["chatConfiguration", "prompt"])]


# ---- at publish -----------------------------------------------------------------------

VOICE_PATH = ["draft", "voiceConfigurations", "en-US"]


async def test_an_undefined_variable_is_allowed_in_the_draft_but_not_published(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = (
        await create(
            api,
            voiceConfigurations=[
                voice_input(prompt="Help {{ customer }}.", firstMessage="Hi {{ first_name }}!")
            ],
            chatConfiguration=chat_input(prompt="{% if vip %}Be brief.{% endif %}"),
        )
    )["persona"]
    assert persona is not None
    before = await stored(database)

    payload = await publish(api, persona)

    assert payload["version"] is None
    assert payload["userErrors"] == [
        {
            "field": [*VOICE_PATH, "prompt"],
            "message": "Uses variables the persona does not define: 'customer'. Define them first.",
            "code": "NOT_PUBLISHABLE",
        },
        {
            "field": [*VOICE_PATH, "firstMessage"],
            "message": (
                "Uses variables the persona does not define: 'first_name'. Define them first."
            ),
            "code": "NOT_PUBLISHABLE",
        },
        {
            "field": ["draft", "chatConfiguration", "prompt"],
            "message": "Uses variables the persona does not define: 'vip'. Define them first.",
            "code": "NOT_PUBLISHABLE",
        },
    ]
    assert await stored(database) == before
    assert await versions_of(database, persona["id"]) == []


async def test_defining_the_variables_makes_it_publishable(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = (
        await create(api, chatConfiguration=chat_input(prompt="Hi {{ name }}, {{ balance }}."))
    )["persona"]
    only_name = (await set_variables(api, persona, [variable("name")]))["persona"]
    refused = await publish(api, only_name)
    assert refused["userErrors"][0]["message"] == (
        "Uses variables the persona does not define: 'balance'. Define them first."
    )
    both = [variable("name"), variable("balance", type="NUMBER", required=True)]
    complete = (await set_variables(api, only_name, both))["persona"]

    payload = await publish(api, complete)

    assert payload["userErrors"] == []
    assert await versions_of(database, persona["id"]) == [1]


async def test_built_ins_need_no_definition(api: GraphQLClient) -> None:
    text = (
        "I am {{ persona_name }} on {{ channel }} in {{ environment }}, speaking {{ locale }}; "
        "it is {{ now }}.{% if contact_id %} Caller {{ contact_id }}.{% endif %}"
    )
    persona = (
        await create(
            api,
            voiceConfigurations=[voice_input(prompt=text, firstMessage=text)],
            chatConfiguration=chat_input(prompt=text),
        )
    )["persona"]

    payload = await publish(api, persona)

    assert payload["userErrors"] == []


async def test_contact_memory_is_a_built_in_templates_may_use(api: GraphQLClient) -> None:
    prompt = "{% if contact_memory.conversations.size > 0 %}Welcome back{% endif %}"
    persona = (await create(api, chatConfiguration=chat_input(prompt=prompt)))["persona"]

    payload = await publish(api, persona)

    assert errors_of(payload) == []


async def test_names_the_template_makes_itself_need_no_definition(api: GraphQLClient) -> None:
    text = (
        "{% assign greeting = 'Hi' %}{% capture who %}friend{% endcapture %}"
        "{{ greeting }} {{ who }}{% for item in items %}{{ forloop.index }}{{ item }}{% endfor %}"
        "{% increment visits %}"
    )
    persona = (await create(api, chatConfiguration=chat_input(prompt=text)))["persona"]
    refused = await publish(api, persona)
    assert refused["userErrors"][0]["message"] == (
        "Uses variables the persona does not define: 'items'. Define them first."
    )
    defined = (await set_variables(api, persona, [variable("items")]))["persona"]

    payload = await publish(api, defined)

    assert payload["userErrors"] == []


async def test_many_undefined_variables_are_summed_up(api: GraphQLClient) -> None:
    text = " ".join(f"{{{{ v{index} }}}}" for index in range(7))
    persona = (await create(api, chatConfiguration=chat_input(prompt=text)))["persona"]

    payload = await publish(api, persona)

    assert payload["userErrors"][0]["message"] == (
        "Uses variables the persona does not define: 'v0', 'v1', 'v2', 'v3', 'v4' and 2 more. "
        "Define them first."
    )


async def test_removing_a_variable_a_template_uses_blocks_the_next_publish(
    api: GraphQLClient,
) -> None:
    persona = (await create(api, chatConfiguration=chat_input(prompt="Hi {{ name }}.")))["persona"]
    defined = (await set_variables(api, persona, [variable("name")]))["persona"]
    published = (await publish(api, defined))["persona"]
    removed = (await set_variables(api, published, []))["persona"]
    assert removed["status"] == "CHANGED"

    payload = await publish(api, removed)

    assert errors_of(payload) == [("NOT_PUBLISHABLE", ["draft", "chatConfiguration", "prompt"])]

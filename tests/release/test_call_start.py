"""liveConfiguration's whole answer: rendered templates, merged variables, pinned attachments."""

from typing import Any

from tests.release.publishing import update
from tests.support.callstart import call_start, templated_persona
from tests.support.client import GraphQLClient, publish, voice_input
from tests.support.library import attach, create_knowledge_base, create_tool, set_tools


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    answer: dict[str, Any] = body["data"]["liveConfiguration"]
    return answer


def _error(body: dict[str, Any]) -> dict[str, Any]:
    (error,) = body["errors"]
    assert body["data"] == {"liveConfiguration": None}
    extensions: dict[str, Any] = error["extensions"]
    return extensions


async def test_templates_render_with_built_ins_defaults_and_call_values(api: GraphQLClient) -> None:
    persona = await templated_persona(api)
    answer = _answer(await call_start(api, persona, variables={"plan": "Pro", "seats": 12}))
    assert answer["firstMessage"] == "Hi there, this is Front desk."
    assert answer["prompt"] == "You speak en-US on voice in production. Plan: Pro. Seats: 12."
    assert (answer["environment"], answer["rolloutArm"], answer["version"]) == (
        "production",
        "BASELINE",
        1,
    )
    values = answer["variables"]
    assert {k: values[k] for k in ("plan", "seats", "vip", "customer_name", "persona_name")} == {
        "plan": "Pro",
        "seats": 12,
        "vip": False,
        "customer_name": None,
        "persona_name": "Front desk",
    }
    assert values["now"].endswith("Z")
    vip = _answer(
        await call_start(
            api, persona, variables={"plan": "Pro", "vip": True, "customer_name": "Ada"}
        )
    )
    assert vip["firstMessage"] == "Hi Ada, this is Front desk."
    assert vip["prompt"].endswith("Treat them as a VIP. Plan: Pro. Seats: 3.")


async def test_a_whole_number_renders_without_a_decimal_point(api: GraphQLClient) -> None:
    persona = await templated_persona(api)
    answer = _answer(await call_start(api, persona, variables={"plan": "Pro", "seats": 42.0}))
    assert answer["prompt"].endswith("Seats: 42.")
    answer = _answer(await call_start(api, persona, variables={"plan": "Pro", "seats": 2.5}))
    assert answer["prompt"].endswith("Seats: 2.5.")


async def test_the_locale_built_in_is_the_configuration_used(api: GraphQLClient) -> None:
    persona = await templated_persona(api)
    answer = _answer(await call_start(api, persona, locale="en-GB", variables={"plan": "X"}))
    assert answer["requestedLocale"] == "en-GB"
    assert answer["voice"]["locale"] == "en-US"
    assert answer["prompt"].startswith("You speak en-US")
    assert answer["variables"]["locale"] == "en-US"


async def test_missing_and_mistyped_values_are_coded_errors(api: GraphQLClient) -> None:
    persona = await templated_persona(api)
    missing = _error(await call_start(api, persona))
    assert (missing["code"], missing["variables"]) == ("MISSING_VARIABLES", ["plan"])
    wrong = _error(await call_start(api, persona, variables={"plan": "Pro", "seats": "many"}))
    assert (wrong["code"], wrong["variables"]) == ("INVALID_VARIABLES", ["seats"])
    flag = _error(await call_start(api, persona, variables={"plan": "Pro", "vip": "yes"}))
    assert (flag["code"], flag["variables"]) == ("INVALID_VARIABLES", ["vip"])
    not_object = await call_start(api, persona, variables=["plan"])
    assert not_object["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_values_the_persona_does_not_define_are_ignored_never_rendered(
    api: GraphQLClient,
) -> None:
    persona = await templated_persona(api)
    given = {"plan": "Pro", "secret": "{{ plan }}", "persona_name": "Mallory", "zeta": 1}
    answer = _answer(await call_start(api, persona, variables=given))
    assert answer["ignoredVariables"] == ["persona_name", "secret", "zeta"]
    assert "secret" not in answer["variables"]
    assert answer["variables"]["persona_name"] == "Front desk"
    assert "Mallory" not in answer["firstMessage"]


async def test_resolution_ids_are_equal_exactly_when_the_resolution_is(api: GraphQLClient) -> None:
    persona = await templated_persona(api)

    async def resolution_id(**call: Any) -> str:
        answer = _answer(await call_start(api, persona, **{"variables": {"plan": "Pro"}, **call}))
        found: str = answer["resolutionId"]
        return found

    voice = await resolution_id(locale="en-US")
    # Same version, environment, channel, locale (en-GB falls back to en-US) and arm.
    assert await resolution_id(locale="en-GB", contactId="c-1") == voice
    assert await resolution_id(variables={"plan": "Other"}) == voice
    chat = await resolution_id(channel="CHAT")
    assert chat != voice
    renamed = await update(api, persona, name="Front desk 2")
    assert (await publish(api, renamed))["userErrors"] == []
    assert await resolution_id(locale="en-US") not in (voice, chat)


async def test_an_unknown_environment_is_a_coded_error(api: GraphQLClient) -> None:
    persona = await templated_persona(api)
    body = await call_start(api, persona, environment="staging", variables={"plan": "Pro"})
    assert _error(body)["code"] == "UNKNOWN_ENVIRONMENT"


async def test_tools_and_knowledge_bases_are_pinned_and_per_channel(api: GraphQLClient) -> None:
    weather = await create_tool(api)
    crm = await create_tool(api, name="crm_lookup")
    base = await create_knowledge_base(api)
    persona = await api.create_persona(
        name="Desk",
        voiceConfigurations=[voice_input()],
        chatConfiguration={"prompt": "Chat.", "modelKey": "gpt-4.1"},
        knowledgeBases=[{"knowledgeBaseId": base["id"], "channels": ["CHAT"], "topK": 3}],
    )
    persona = await set_tools(api, persona, attach(weather) + attach(crm, channels=["CHAT"]))
    assert (await publish(api, persona))["userErrors"] == []
    voice = _answer(await call_start(api, persona))
    assert [t["name"] for t in voice["tools"]] == ["get_weather"]
    assert voice["knowledgeBases"] == []
    chat = _answer(await call_start(api, persona, channel="CHAT"))
    assert [t["name"] for t in chat["tools"]] == ["get_weather", "crm_lookup"]
    (attached,) = chat["knowledgeBases"]
    assert (attached["topK"], attached["channels"]) == (3, ["CHAT"])
    assert attached["definition"]["name"] == "Front desk FAQ"
    assert attached["knowledgeBase"] == {"id": base["id"], "revision": 1}

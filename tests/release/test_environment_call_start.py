"""An environment's values at call start and in a preview: built-ins < defaults < environment
< call, and UNKNOWN_ENVIRONMENT for a name the workspace lacks."""

from typing import Any

from tests.conftest import ClientFactory
from tests.support.callstart import PREVIEW, call_start, templated_persona
from tests.support.client import GraphQLClient
from tests.support.environments import (
    create_environment,
    delete_environment,
    set_environment_variables,
)


def _answer(body: dict[str, Any], field: str = "liveConfiguration") -> Any:
    assert "errors" not in body, body["errors"]
    return body["data"][field] if field == "liveConfiguration" else body["data"]["persona"][field]


def _code(body: dict[str, Any]) -> str:
    (error,) = body["errors"]
    code: str = error["extensions"]["code"]
    return code


async def _preview(api: GraphQLClient, persona: dict[str, Any], **call: Any) -> dict[str, Any]:
    return await api.execute(PREVIEW, id=persona["id"], channel="VOICE", **call)


async def test_production_values_sit_between_defaults_and_the_call(api: GraphQLClient) -> None:
    persona = await templated_persona(api)  # plan required, seats defaults to 3
    assert _code(await call_start(api, persona)) == "MISSING_VARIABLES"
    values = {"plan": "Env", "seats": 7, "customer_name": None, "unused": "x"}
    payload = await set_environment_variables(api, "production", 1, values)
    assert payload["userErrors"] == []

    served = _answer(await call_start(api, persona))
    assert served["prompt"].endswith("Plan: Env. Seats: 7.")
    # A null value is no value, and names the persona does not define are not the call's.
    assert served["firstMessage"] == "Hi there, this is Front desk."
    assert served["ignoredVariables"] == []
    assert "unused" not in served["variables"]
    called = _answer(await call_start(api, persona, variables={"seats": 12, "plan": None}))
    assert called["prompt"].endswith("Plan: Env. Seats: 12.")
    assert called["variables"]["environment"] == "production"  # built-ins are never values

    await set_environment_variables(api, "production", 2, {"plan": "Env 2"})
    assert _answer(await call_start(api, persona))["prompt"].endswith("Plan: Env 2. Seats: 3.")


async def test_a_value_of_the_wrong_type_for_the_persona_is_refused_at_call_start(
    api: GraphQLClient,
) -> None:
    persona = await templated_persona(api)
    await set_environment_variables(api, "production", 1, {"plan": "Pro", "seats": "many"})
    body = await call_start(api, persona)
    assert _code(body) == "INVALID_VARIABLES"
    assert body["errors"][0]["extensions"]["variables"] == ["seats"]
    assert _answer(await call_start(api, persona, variables={"seats": 4}))["prompt"].endswith(
        "Seats: 4."
    )


async def test_preview_renders_the_draft_with_the_environment_named(api: GraphQLClient) -> None:
    persona = await templated_persona(api)
    await set_environment_variables(api, "production", 1, {"plan": "Live"})
    await create_environment(api, "staging", {"plan": "Trial", "seats": 1})

    production = _answer(await _preview(api, persona), "preview")
    assert production["prompt"] == "You speak en-US on voice in production. Plan: Live. Seats: 3."
    staging = _answer(await _preview(api, persona, environment="staging"), "preview")
    assert staging["prompt"] == "You speak en-US on voice in staging. Plan: Trial. Seats: 1."
    assert staging["environment"] == "staging"
    assert staging["resolutionId"] != production["resolutionId"]
    called = _answer(
        await _preview(api, persona, environment="staging", variables={"seats": 9}), "preview"
    )
    assert called["prompt"].endswith("Plan: Trial. Seats: 9.")


async def test_an_existing_environment_with_nothing_deployed_answers_null(
    api: GraphQLClient,
) -> None:
    persona = await templated_persona(api)
    await create_environment(api, "staging", {"plan": "Trial"})
    body = await call_start(api, persona, environment="staging")
    assert body == {"data": {"liveConfiguration": None}}


async def test_an_environment_the_workspace_lacks_is_unknown(api: GraphQLClient) -> None:
    persona = await templated_persona(api)
    await create_environment(api, "staging")
    for name in ("qa", "Staging", "x" * 64):
        assert _code(await call_start(api, persona, environment=name)) == "UNKNOWN_ENVIRONMENT"
        assert _code(await _preview(api, persona, environment=name)) == "UNKNOWN_ENVIRONMENT"
    await delete_environment(api, "staging")
    assert _code(await call_start(api, persona, environment="staging")) == "UNKNOWN_ENVIRONMENT"
    assert _code(await _preview(api, persona, environment="staging")) == "UNKNOWN_ENVIRONMENT"


async def test_another_workspace_s_environment_is_unknown_here(
    api: GraphQLClient, client_for: ClientFactory
) -> None:
    persona = await templated_persona(api)
    other = await client_for(workspace="globex")
    await create_environment(other, "staging", {"plan": "Theirs"})
    await set_environment_variables(other, "production", 1, {"plan": "Theirs"})
    assert _code(await call_start(api, persona, environment="staging")) == "UNKNOWN_ENVIRONMENT"
    assert _code(await call_start(api, persona)) == "MISSING_VARIABLES"

"""voices and languageModels over GraphQL."""

import pytest

from tests.support.client import GraphQLClient
from tests.support.reads import (
    MODELS,
    VOICES,
)

# ---- catalog ----------------------------------------------------------------------------------


async def test_voices_for_a_locale_are_exactly_those_that_speak_it(api: GraphQLClient) -> None:
    everyone = (await api.data(VOICES))["voices"]
    arabic = (await api.data(VOICES, locale="ar-AE"))["voices"]
    assert arabic
    assert all("ar-AE" in voice["locales"] for voice in arabic)
    assert [v["key"] for v in arabic] == [v["key"] for v in everyone if "ar-AE" in v["locales"]]
    assert len(arabic) < len(everyone)


async def test_voices_locale_is_case_insensitive(api: GraphQLClient) -> None:
    # BCP 47 tags are case-insensitive; "ar-ae" is the same locale as "ar-AE".
    assert await api.data(VOICES, locale="ar-ae") == await api.data(VOICES, locale="ar-AE")


async def test_voices_cover_the_catalog_locales(api: GraphQLClient) -> None:
    voices = (await api.data(VOICES))["voices"]
    assert len(voices) >= 12
    assert len({v["id"] for v in voices}) == len(voices)
    spoken = {locale for voice in voices for locale in voice["locales"]}
    for locale in ("en-US", "en-GB", "ar-AE", "ar-SA", "es-ES", "fr-FR", "de-DE", "hi-IN"):
        assert locale in spoken, locale


@pytest.mark.parametrize("locale", ["en_US", "english", "x"])
async def test_voices_with_a_malformed_locale_is_an_error(api: GraphQLClient, locale: str) -> None:
    body = await api.execute(VOICES, locale=locale)
    assert body["data"] is None
    assert len(body["errors"]) == 1
    assert locale in body["errors"][0]["message"]


@pytest.mark.parametrize("channel", ["CHAT", "VOICE"])
async def test_language_models_for_a_channel(api: GraphQLClient, channel: str) -> None:
    everyone = (await api.data(MODELS))["languageModels"]
    offered = (await api.data(MODELS, channel=channel))["languageModels"]
    assert offered
    assert all(channel in model["channels"] for model in offered)
    assert [m["key"] for m in offered] == [m["key"] for m in everyone if channel in m["channels"]]
    assert len(offered) < len(everyone)


async def test_language_models_all(api: GraphQLClient) -> None:
    models = (await api.data(MODELS))["languageModels"]
    assert len(models) >= 4
    assert all(model["maxOutputTokens"] > 0 for model in models)
    assert {channel for model in models for channel in model["channels"]} == {"VOICE", "CHAT"}

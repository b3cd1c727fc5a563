import pytest

from app.library.locales import InvalidLocale, canonical_locale, language_of


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [("en-US", "en-US"), ("en-us", "en-US"), ("AR-ae", "ar-AE"), ("zh-hant-tw", "zh-Hant-TW")],
)
def test_canonical_form(tag: str, canonical: str) -> None:
    assert canonical_locale(tag) == canonical


@pytest.mark.parametrize("tag", ["", "e", "en_US", "english", "xx-YY", "123", "en-", "en--US"])
def test_malformed_tags_are_refused(tag: str) -> None:
    with pytest.raises(InvalidLocale):
        canonical_locale(tag)


def test_language_of() -> None:
    assert language_of("en-GB") == language_of("en-US") == "en"
    assert language_of("ar-AE") != language_of("en-US")

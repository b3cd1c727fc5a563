from pathlib import Path

import pytest

from app.platform.settings import SettingsError, load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MONGODB_URI", "MONGODB_DATABASE", "CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.mongodb_uri is None
    assert settings.mongodb_database == "persona_api"
    assert settings.cors_origins == ()
    assert (settings.host, settings.port, settings.data_dir) == ("127.0.0.1", 8000, Path(".data"))


def test_environment_and_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONGODB_URI", "mongodb://db.internal:27017/?replicaSet=rs0")
    monkeypatch.setenv("MONGODB_DATABASE", "personas_prod")
    monkeypatch.setenv("CORS_ORIGINS", "https://app.example.com, http://localhost:5173")
    settings = load_settings(port=9000, host=None)
    assert settings.mongodb_uri == "mongodb://db.internal:27017/?replicaSet=rs0"
    assert settings.mongodb_database == "personas_prod"
    assert settings.cors_origins == ("https://app.example.com", "http://localhost:5173")
    assert (settings.host, settings.port) == ("127.0.0.1", 9000)


def test_empty_uri_means_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONGODB_URI", "")
    assert load_settings().mongodb_uri is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MONGODB_URI", "postgres://x", "invalid setting MONGODB_URI: "),
        ("MONGODB_DATABASE", "bad name/with slash", "invalid setting MONGODB_DATABASE: "),
        ("CORS_ORIGINS", "example.com", "invalid setting CORS_ORIGINS: "),
        ("PORT", "not-a-port", "invalid setting PORT: "),
    ],
)
def test_invalid_setting_names_itself(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_flag_out_of_range() -> None:
    with pytest.raises(SettingsError, match=r"^invalid setting PORT: "):
        load_settings(port=70000)

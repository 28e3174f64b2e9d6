from __future__ import annotations

import re
from pathlib import Path

import pytest

from liveinterview.config import (
    SPECS,
    MailBackend,
    SettingsError,
    ensure_secret_key,
    env_name,
    load_settings,
)

README = Path(__file__).resolve().parent.parent / "README.md"


def test_defaults_are_the_embedded_setup() -> None:
    settings = load_settings({})
    assert settings.host == "127.0.0.1"
    assert settings.port == 8080
    assert settings.base_url == "http://127.0.0.1:8080"
    assert settings.database_url == "sqlite+aiosqlite:///var/liveinterview.db"
    assert settings.mail_backend is MailBackend.OUTBOX
    assert settings.outbox_dir == Path("var/outbox")
    assert settings.secure_cookies is False


def test_values_are_parsed_and_derived_defaults_follow() -> None:
    settings = load_settings(
        {
            "LIVEINTERVIEW_PORT": "9000",
            "LIVEINTERVIEW_DATA_DIR": "/srv/li",
            "LIVEINTERVIEW_TRUST_PROXY": "yes",
            "LIVEINTERVIEW_BASE_URL": "https://interviews.example.com/",
            "LIVEINTERVIEW_MAIL_BACKEND": "SMTP",
        }
    )
    assert settings.port == 9000
    assert settings.database_url == "sqlite+aiosqlite:////srv/li/liveinterview.db"
    assert settings.trust_proxy is True
    assert settings.base_url == "https://interviews.example.com"
    assert settings.secure_cookies is True
    assert settings.mail_backend is MailBackend.SMTP


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LIVEINTERVIEW_PORT", "http", "LIVEINTERVIEW_PORT: expected a whole number, got 'http'"),
        ("LIVEINTERVIEW_PORT", "70000", "LIVEINTERVIEW_PORT: expected a number from 1 to 65535"),
        ("LIVEINTERVIEW_TRUST_PROXY", "maybe", "LIVEINTERVIEW_TRUST_PROXY: expected true or false"),
        ("LIVEINTERVIEW_MAIL_BACKEND", "pigeon", "expected one of outbox, smtp, got 'pigeon'"),
        ("LIVEINTERVIEW_BASE_URL", "interviews.example.com", "expected an http:// or https://"),
        ("LIVEINTERVIEW_DATABASE_URL", "mysql://x", "LIVEINTERVIEW_DATABASE_URL: expected sqlite"),
        ("LIVEINTERVIEW_SECRET_KEY", "short", "LIVEINTERVIEW_SECRET_KEY: expected at least 32"),
        ("LIVEINTERVIEW_LOG_LEVEL", "LOUD", "LIVEINTERVIEW_LOG_LEVEL: expected one of DEBUG"),
        ("LIVEINTERVIEW_SMTP_TIMEOUT_SECONDS", "0", "expected a number from 0.5 to 300"),
        ("LIVEINTERVIEW_PROT", "8080", "LIVEINTERVIEW_PROT: unknown setting"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({name: value})
    assert message in str(caught.value)
    assert str(caught.value).startswith(name)


def test_settings_are_frozen() -> None:
    settings = load_settings({})
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


def test_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = load_settings({"LIVEINTERVIEW_DATA_DIR": str(tmp_path)})
    first = ensure_secret_key(settings)
    second = ensure_secret_key(settings)
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_every_setting_is_documented_in_the_readme() -> None:
    documented = set(re.findall(r"^\| `(LIVEINTERVIEW_[A-Z_]+)` \|", README.read_text(), re.M))
    expected = {env_name(spec.field) for spec in SPECS}
    assert expected - documented == set(), "settings missing from the README table"
    assert documented - expected == set(), "README documents settings that do not exist"


def test_recordings_live_under_the_data_dir_unless_configured(tmp_path: Path) -> None:
    assert load_settings({}).recordings_root == Path("var/recordings")
    moved = load_settings({"LIVEINTERVIEW_DATA_DIR": str(tmp_path)})
    assert moved.recordings_root == tmp_path / "recordings"
    chosen = load_settings({"LIVEINTERVIEW_RECORDINGS_DIR": "/srv/recordings"})
    assert chosen.recordings_root == Path("/srv/recordings")

from pathlib import Path

import pytest

from okrmail.app import AppContext
from okrmail.settings import DEFAULT_SETTINGS_FILE, SettingsError, load_settings


def test_shipped_defaults_are_the_embedded_setup() -> None:
    settings = load_settings(environ={})
    assert settings.database.url.startswith("sqlite:///")
    assert settings.jobs.dispatcher == "inline"
    assert settings.calendar.provider == "local"
    assert settings.mail.outbound == "maildir"


def test_environment_overrides_any_key() -> None:
    settings = load_settings(
        environ={
            "OKRMAIL_SMTP__PORT": "2525",
            "OKRMAIL_JOBS__DISPATCHER": "rq",
            "OKRMAIL_CADENCES__WEEKLY__WINDOW": "10:00-12:00",
            "OKRMAIL_CADENCES__WEEKLY__DAYS": "[2, 4]",
        }
    )
    assert settings.smtp.port == 2525
    assert settings.jobs.dispatcher == "rq"
    assert settings.cadences.weekly.window == "10:00-12:00"
    assert settings.cadences.weekly.days == [2, 4]


def test_secret_from_file_is_read_and_never_shown(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret-value\n")
    settings = load_settings(environ={"OKRMAIL_SMTP__PASSWORD_FILE": str(secret)})
    assert settings.smtp.password == "s3cret-value"
    assert "s3cret-value" not in repr(settings)


def test_unreadable_secret_file_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="OKRMAIL_SMTP__PASSWORD_FILE"):
        load_settings(environ={"OKRMAIL_SMTP__PASSWORD_FILE": "/nonexistent/secret"})


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"OKRMAIL_SMTP__PROT": "25"}, r"unknown setting 'smtp.prot'; allowed here: host, port"),
        ({"OKRMAIL_NOPE__KEY": "1"}, r"unknown setting 'nope'; allowed here: app, database"),
        ({"OKRMAIL_SMTP__PORT": "abc"}, r"smtp.port: .*integer.*'abc'"),
        ({"OKRMAIL_SMTP__PORT": "70000"}, r"smtp.port: .*65535"),
        (
            {"OKRMAIL_JOBS__DISPATCHER": "celery"},
            r"jobs.dispatcher: Input should be 'inline' or 'rq'",
        ),
        ({"OKRMAIL_SMTP__SECURITY": "ssl"}, r"smtp.security: .*'starttls', 'tls' or 'none'"),
        ({"OKRMAIL_PROMPTS__WAKING_START": "8am"}, r"prompts.waking_start: expected a 24-hour"),
        ({"OKRMAIL_CADENCES__WEEKLY__WINDOW": "17:00-09:00"}, r"cadences.weekly.window: .*ends"),
        ({"OKRMAIL_MAIL__REPLY_ADDRESS": "x@y"}, r"mail.reply_address: must be an address"),
    ],
)
def test_bad_settings_name_the_key_and_what_is_allowed(
    environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(SettingsError, match=expected):
        load_settings(environ=environ)


def test_unknown_key_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(DEFAULT_SETTINGS_FILE.read_text() + "\n[database2]\nurl = 'x'\n")
    with pytest.raises(SettingsError, match="unknown setting 'database2'"):
        load_settings(path, environ={})


def test_broken_toml_says_where(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[app\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(path, environ={})


def test_unknown_provider_stops_start_up() -> None:
    settings = load_settings(environ={"OKRMAIL_CALENDAR__PROVIDER": "lotus-notes"})
    with pytest.raises(
        SettingsError, match=r"calendar.provider: unknown provider 'lotus-notes'; allowed: .*local"
    ):
        AppContext(settings)


def test_relative_sqlite_path_lives_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(environ={"OKRMAIL_APP__DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'okrmail.db'}"

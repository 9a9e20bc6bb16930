"""`okrmail accounts add google`, `accounts test`, `accounts list`, `calendar sync`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from okrmail.cli import main
from tests.fakes.google_fixtures import SECRET_KEY, fake_google, google_settings, service_account  # noqa: F401
from tests.fakes.google_server import FakeGoogle


def test_accounts_add_test_list_and_sync(
    database_url: str,
    tmp_path: Path,
    fake_google: FakeGoogle,  # noqa: F811
    service_account: tuple[dict[str, str], bytes],  # noqa: F811
) -> None:
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(service_account[0]))
    env = {
        "OKRMAIL_APP__DATA_DIR": str(tmp_path / "data"),
        "OKRMAIL_DATABASE__URL": database_url,
        "OKRMAIL_CALENDAR__PROVIDER": "google",
        "OKRMAIL_SECURITY__SECRET_KEY": SECRET_KEY,
        **{
            f"OKRMAIL_GOOGLE__{key.upper()}": str(value)
            for key, value in google_settings(fake_google).items()
        },
    }
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, list(args), env=env)
        return result.exit_code, result.output

    code, out = run(
        "accounts",
        "add",
        "google",
        "ws",
        "--service-account",
        str(key_file),
        "--domain",
        "example.com",
    )
    assert code == 0, out
    assert f"service account {service_account[0]['client_email']} acting in example.com" in out

    code, out = run("accounts", "test", "ws", "--as", "anna@example.com")
    assert code == 0, out
    assert "anna@example.com  [owner]  primary" in out

    code, out = run("accounts", "test", "ws")
    assert code == 1 and "--as" in out

    code, out = run("accounts", "list")
    assert code == 0 and out.split()[:4] == [
        "ws",
        "service_account",
        service_account[0]["client_email"],
        "ok",
    ]

    code, out = run("calendar", "sync")
    assert code == 0 and "synced 0 of 0 calendars" in out

    code, out = run("accounts", "add", "google", "x")
    assert code == 1 and "exactly one of --service-account FILE and --oauth" in out

    code, out = run("settings", "check")
    assert code == 0 and SECRET_KEY not in out and "security.secret_key = '********'" in out

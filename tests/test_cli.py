"""The command line as an admin uses it: one-line errors, never a traceback."""

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from okrmail.cli import main
from okrmail.db import upgrade
from tests.conftest import EXAMPLES, PEOPLE_HEADER, write_csv


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OKRMAIL_APP__DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def test_the_admin_path_end_to_end(runner: CliRunner) -> None:
    now = ["--now", "2026-11-16T06:00:00"]
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(main, ["people", "import", str(EXAMPLES / "people.csv")])
    assert result.exit_code == 0 and "12 created" in result.output
    result = runner.invoke(main, ["okrs", "import", str(EXAMPLES / "okrs.csv")])
    assert result.exit_code == 0 and "22 created" in result.output
    result = runner.invoke(main, [*now, "book"])
    assert result.exit_code == 0 and "booked 10 series" in result.output
    listing = runner.invoke(main, [*now, "meetings", "list"]).output
    first_id = listing.split()[0].lstrip("#")
    result = runner.invoke(main, [*now, "meetings", "move", first_id, "--to", "2026-11-20T15:00"])
    assert result.exit_code == 0 and "moved to 2026-11-20 15:00" in result.output
    result = runner.invoke(main, [*now, "meetings", "cancel", first_id])
    assert result.exit_code == 0 and "cancelled" in result.output
    result = runner.invoke(main, ["--now", "2026-11-17T16:30:00", "tick"])
    assert result.exit_code == 0 and "send_prompts" in result.output


def test_import_errors_are_listed_by_line_without_a_traceback(
    runner: CliRunner, tmp_path: Path
) -> None:
    runner.invoke(main, ["db", "upgrade"])
    path = write_csv(tmp_path / "bad.csv", PEOPLE_HEADER, "a@example.com,A,,Nowhere/Zone,,,,")
    result = runner.invoke(main, ["people", "import", str(path)])
    assert result.exit_code == 1
    assert "line 2, timezone: unknown time zone 'Nowhere/Zone'" in result.output
    assert "Traceback" not in result.output


def test_bad_settings_stop_start_up_with_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OKRMAIL_JOBS__DISPATCHER", "celery")
    result = runner.invoke(main, ["tick"])
    assert result.exit_code == 1
    assert result.output.strip().startswith("okrmail: bad settings: jobs.dispatcher")
    assert "Traceback" not in result.output


def test_moving_a_missing_meeting_is_a_clear_error(runner: CliRunner) -> None:
    runner.invoke(main, ["db", "upgrade"])
    result = runner.invoke(main, ["meetings", "move", "999", "--to", "2026-12-01T10:00"])
    assert result.exit_code == 1 and "no meeting #999" in result.output


def test_a_command_before_the_database_exists_says_how_to_create_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    database = tmp_path / "data" / "okrmail.db"
    for command in (["meetings", "list"], ["mail", "quarantine"], ["tick"]):
        result = runner.invoke(main, command)
        assert result.exit_code == 1, command
        assert result.output == (
            f"okrmail: no database at {database}: create it with `okrmail db upgrade`\n"
        )
    assert not database.exists()  # asking did not leave an empty file behind
    # Piped mail is kept by the MTA (EX_TEMPFAIL) until the database is there.
    result = runner.invoke(main, ["ingest"], input=b"From: a@example.com\n\nHello\n")
    assert result.exit_code == 75
    assert "no database at" in result.output and "okrmail db upgrade" in result.output


def test_a_database_on_an_older_schema_asks_for_db_upgrade_first(
    runner: CliRunner, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'okrmail.db'}"
    upgrade(url, "0008")
    result = runner.invoke(main, ["meetings", "list"])
    assert result.exit_code == 1
    assert result.output.startswith(f"okrmail: the database at {tmp_path / 'data' / 'okrmail.db'}")
    assert "has an older schema (0008; this okrmail needs " in result.output
    assert result.output.endswith("): run `okrmail db upgrade`\n")
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(main, ["meetings", "list"])
    assert result.exit_code == 0 and "okrmail:" not in result.output


def test_a_database_migrated_by_a_newer_okrmail_is_not_used(
    runner: CliRunner, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'okrmail.db'}"
    upgrade(url)
    with sqlite3.connect(tmp_path / "data" / "okrmail.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0999'")
    result = runner.invoke(main, ["meetings", "list"])
    assert result.exit_code == 1
    assert "was migrated by a newer okrmail (schema 0999)" in result.output


def test_an_unreachable_database_is_one_line_without_its_password(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "OKRMAIL_DATABASE__URL", "postgresql+psycopg://okrmail:hunter2@127.0.0.1:9/okrmail"
    )
    result = runner.invoke(main, ["meetings", "list"])
    assert result.exit_code == 1
    where = "postgresql+psycopg://okrmail:***@127.0.0.1:9/okrmail"
    assert result.output.startswith(f"okrmail: cannot open the database at {where}: ")
    assert "hunter2" not in result.output and len(result.output.splitlines()) == 1

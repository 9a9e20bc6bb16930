"""`okrmail mail trim|classify|explain` and `okrmail ingest`, as a person at a shell uses them:
an answer, or one line of error and exit status 1, never a traceback."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.exc import OperationalError

from okrmail.app import AppContext
from okrmail.cli import main
from tests.inbound.conftest import OFFLINE, SentPrompt, inbox_rows, reply
from tests.inbound.test_robots_and_bounces import dsn

CORPUS = Path(__file__).resolve().parents[1] / "corpora" / "email_reply_trimmer"
REQUIRED_MATCHES = 58
_BLANK_RUNS = re.compile(r"\n{3,}")


def _normalise(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("OKRMAIL_APP__DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def test_trim_body_over_the_corpus(runner: CliRunner) -> None:
    emails = sorted((CORPUS / "emails").glob("*.txt"))
    assert len(emails) == 64
    failing = []
    for email in emails:
        result = runner.invoke(main, ["mail", "trim", "--body"], input=email.read_bytes())
        expected = (CORPUS / "trimmed" / email.name).read_text(encoding="utf-8")
        if result.exit_code != 0 or _normalise(result.output) != _normalise(expected):
            failing.append(email.name)
    assert len(emails) - len(failing) >= REQUIRED_MATCHES, failing


def test_trim_a_whole_message(runner: CliRunner) -> None:
    raw = reply(OFFLINE, "KR1 is at 60%.\n\nSent from my iPhone")
    result = runner.invoke(main, ["mail", "trim"], input=raw)
    assert result.exit_code == 0 and result.output == "KR1 is at 60%.\n"


def test_classify(runner: CliRunner) -> None:
    def classify(raw: bytes) -> str:
        result = runner.invoke(main, ["mail", "classify"], input=raw)
        assert result.exit_code == 0, result.output
        return result.output

    assert classify(reply(OFFLINE, "Fine.")) == "reply\n"
    assert classify(reply(OFFLINE, "Away.", headers={"Auto-Submitted": "auto-replied"})) == (
        "auto-reply\n"
    )
    assert classify(dsn(OFFLINE)) == f"bounce {OFFLINE.email}\n"


GARBAGE = [
    b"",
    b"   \n\n",
    b"just some words, no headers at all\n",
    bytes(range(256)) * 4,
    b"\xff\xfe\x00\x00" * 100,
    b'Content-Type: multipart/mixed; boundary="x"\n\n--x\nContent-Type: text/plain; '
    b'charset="no-such-charset"\nContent-Transfer-Encoding: base64\n\n!!!not base64\n',
    b"From: =?utf-8?B?////?= <>\nSubject: =?bogus?Q?=ZZ?=\nDate: yesterday-ish\n\n\xc3\x28",
]


@pytest.mark.parametrize("command", [["trim"], ["trim", "--body"], ["classify"], ["explain"]])
@pytest.mark.parametrize("garbage", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_in_gives_an_answer_or_one_line_and_status_1(
    runner: CliRunner, command: list[str], garbage: bytes
) -> None:
    result = runner.invoke(main, ["mail", *command], input=garbage)
    assert result.exit_code in (0, 1), result.output
    # An unexpected exception would be kept here, not a SystemExit with the status.
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("okrmail: "), result.output
    else:
        assert result.output.strip()


def test_explain_shows_everything_and_stores_nothing(
    org: AppContext, lena: SentPrompt, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OKRMAIL_DATABASE__URL", org.settings.database_url)
    raw = reply(lena, "1. KR1 4 days, KR2 38\n2. The vendor is late.\n4. KR1 8")
    result = CliRunner().invoke(main, ["mail", "explain"], input=raw)

    assert result.exit_code == 0, result.output
    output = result.output
    assert "kind:       reply" in output
    assert f"check-in email #{lena.id} to {lena.email}" in output and "reply token in To" in output
    assert "verdict:    checkin" in output
    assert "blockers [numbered]: The vendor is late." in output
    assert "KR2 (Onboarding NPS): progress 38 [value]" in output
    assert "KR1: confidence 8/10" in output
    assert "no confidence given for KR2" in output
    assert inbox_rows(org) == []


def test_ingest_from_standard_input(
    org: AppContext, lena: SentPrompt, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OKRMAIL_DATABASE__URL", org.settings.database_url)
    monkeypatch.setenv("OKRMAIL_APP__DATA_DIR", str(org.settings.app.data_dir))
    raw = reply(lena, "1. KR1 4 days")
    result = CliRunner().invoke(main, ["ingest"], input=raw)
    assert result.exit_code == 0, result.output
    assert re.match(r"inbox #\d+ checkin: recorded in check-in #\d+", result.output)
    again = CliRunner().invoke(main, ["ingest"], input=raw)
    assert "(a copy of a message already received)" in again.output
    assert [row.source for row in inbox_rows(org)] == ["stdin"]


def test_a_message_whose_processing_broke_is_processed_when_the_mta_tries_again(
    org: AppContext, lena: SentPrompt, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored, then processing failed (the database restarted): the MTA is asked to try
    again, and its copy was taken for a duplicate of a message already received and
    dropped, while the first stayed `received`, with no check-in, for good."""
    import okrmail.inbound.ingest as ingest_module

    monkeypatch.setenv("OKRMAIL_DATABASE__URL", org.settings.database_url)
    monkeypatch.setenv("OKRMAIL_APP__DATA_DIR", str(org.settings.app.data_dir))
    raw = reply(lena, "1. KR1 4 days")
    processing = ingest_module.process

    def broken(*_: object, **__: object) -> None:
        raise OperationalError("UPDATE inbox", {}, Exception("server closed the connection"))

    monkeypatch.setattr(ingest_module, "process", broken)
    first = CliRunner().invoke(main, ["ingest"], input=raw)
    assert first.exit_code == 75, first.output
    assert [row.status for row in inbox_rows(org)] == ["received"]

    monkeypatch.setattr(ingest_module, "process", processing)
    again = CliRunner().invoke(main, ["ingest"], input=raw)
    assert again.exit_code == 0, again.output
    assert re.match(r"inbox #\d+ checkin \(a copy of a message already received\)", again.output)
    assert [row.status for row in inbox_rows(org)] == ["checkin"]


def test_an_error_logged_by_a_command_is_one_line_without_verbose() -> None:
    from okrmail.cli import _Formatter

    try:
        raise OperationalError("UPDATE inbox", {}, Exception("database is locked"))
    except OperationalError as error:
        record = logging.makeLogRecord(
            {"name": "okrmail.inbound.ingest", "levelname": "ERROR", "levelno": 40,
             "msg": "inbox message #%s could not be recorded", "args": (4,),
             "exc_info": (type(error), error, error.__traceback__)}
        )  # fmt: skip
    line = _Formatter(tracebacks=False).format(record)
    assert line == (
        "ERROR okrmail.inbound.ingest: inbox message #4 could not be recorded "
        "(OperationalError: (builtins.Exception) database is locked)"
    )
    assert "Traceback" in _Formatter(tracebacks=True).format(record)


def test_ingest_that_cannot_store_asks_the_mta_to_retry(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OKRMAIL_DATABASE__URL", f"sqlite:///{tmp_path}/missing/dir/x.db")
    result = runner.invoke(main, ["ingest"], input=reply(OFFLINE, "Fine."))
    assert result.exit_code == 75
    assert result.output.startswith("okrmail: cannot ingest the message: ")
    assert len(result.output.strip().splitlines()) == 1


def test_mail_fetch_reads_the_inbound_maildir_now(
    org: AppContext, lena: SentPrompt, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mailbox

    monkeypatch.setenv("OKRMAIL_DATABASE__URL", org.settings.database_url)
    monkeypatch.setenv("OKRMAIL_APP__DATA_DIR", str(org.settings.app.data_dir))
    inbox = mailbox.Maildir(org.settings.data_path(org.settings.inbound.maildir), create=True)
    inbox.add(reply(lena, "1. KR1 4 days"))
    inbox.add(reply(lena, "Thanks!", sender="someone@else.example"))
    result = CliRunner().invoke(main, ["mail", "fetch"])
    assert result.exit_code == 0, result.output
    assert result.output == "fetched 2 message(s) (checkin: 1, quarantined: 1)\n"

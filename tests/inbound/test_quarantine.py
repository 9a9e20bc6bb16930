"""Quarantined mail as an admin handles it: `okrmail mail quarantine` lists it with its
reasons, `okrmail mail raw` shows one, `okrmail mail release` processes it again once the
cause is fixed, with every defence applied as the first time."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from okrmail import outbox
from okrmail.app import AppContext
from okrmail.cli import main
from okrmail.clock import ManualClock
from okrmail.inbound.ingest import ingest
from okrmail.inbound.quarantine import TASK, release, send_report
from okrmail.models import CheckIn
from okrmail.models.periodic import PeriodicTask
from okrmail.tick import tick
from tests.conftest import EXAMPLES
from tests.inbound.conftest import (
    SentPrompt,
    inbox_rows,
    outgoing,
    reply,
    text_of,
    with_settings,
)
from workers.dispatch import InlineDispatcher

Cli = Callable[..., Result]
PERSONAL = "lena.vogel@gmail.example"


@pytest.fixture
def cli(org: AppContext, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The command line on the test's database and data folder, at the test clock's now."""
    monkeypatch.setenv("OKRMAIL_DATABASE__URL", org.settings.database.url)
    monkeypatch.setenv("OKRMAIL_APP__DATA_DIR", str(org.settings.app.data_dir))
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, ["--now", org.now().isoformat(), *args])

    return run


def people_file_with_alias(folder: Path, email: str, alias: str) -> Path:
    """examples/people.csv with `alias` added to `email`'s aliases."""
    with (EXAMPLES / "people.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["email"] == email:
            row["aliases"] = " ".join([*row["aliases"].split(), alias])
    path = folder / "people-with-aliases.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_reply_from_an_unknown_address_is_released_once_it_is_an_alias(
    org: AppContext, lena: SentPrompt, cli: Cli, tmp_path: Path
) -> None:
    outcome = ingest(org, reply(lena, "1. KR1 4 days, KR2 38\n4. KR1 8", sender=PERSONAL))
    assert outcome.status == "quarantined"
    inbox_id = outcome.inbox_id

    listed = cli("mail", "quarantine")
    assert listed.exit_code == 0, listed.output
    assert f"inbox #{inbox_id}  " in listed.output and f"from {PERSONAL}" in listed.output
    assert "add it to their aliases in the people file" in listed.output
    assert "`okrmail mail release` this message" in listed.output
    shown = cli("mail", "raw", str(inbox_id))
    assert shown.exit_code == 0 and shown.stdout_bytes == inbox_rows(org)[0].raw

    # Released before the cause is fixed: the defence still holds.
    again = cli("mail", "release", str(inbox_id))
    assert again.exit_code == 0, again.output
    assert f"inbox #{inbox_id} quarantined: sent by {PERSONAL}" in again.output
    assert outgoing(org, "confirm-") == []

    imported = cli("people", "import", str(people_file_with_alias(tmp_path, lena.email, PERSONAL)))
    assert imported.exit_code == 0 and "1 updated" in imported.output, imported.output
    released = cli("mail", "release", str(inbox_id))
    assert released.exit_code == 0, released.output
    assert f"inbox #{inbox_id} checkin: recorded in check-in #" in released.output
    with org.sessions() as session:
        checkin = session.scalars(select(CheckIn).where(CheckIn.prompt_id == lena.id)).one()
        assert checkin.last_inbox_message_id == inbox_id
    [confirmation] = outgoing(org, "confirm-")
    assert "progress: 4 days (60% of the way from 7 to 2 days)" in text_of(confirmation)
    assert cli("mail", "quarantine").output == "no quarantined mail\n"


def test_only_quarantined_messages_are_released(
    org: AppContext, lena: SentPrompt, cli: Cli
) -> None:
    recorded = ingest(org, reply(lena, "1. KR1 4 days"))
    assert recorded.status == "checkin"
    result = cli("mail", "release", str(recorded.inbox_id), "987654")
    assert result.exit_code == 1
    assert f"inbox #{recorded.inbox_id}: not quarantined (its status is checkin)" in result.output
    assert "inbox #987654: no such message" in result.output
    assert result.output.strip().endswith("okrmail: 2 of 2 not released")
    assert "Traceback" not in result.output
    with org.sessions() as session:
        checkin = session.scalars(select(CheckIn).where(CheckIn.prompt_id == lena.id)).one()
        assert checkin.revision == 1  # not merged a second time
    assert len(outgoing(org, "confirm-")) == 1


def test_a_forged_token_stays_quarantined_when_released(
    org: AppContext, lena: SentPrompt, cli: Cli
) -> None:
    forged = reply(lena, "1. All done", to=f"checkins+{'x' * 32}@example.com", parent="")
    outcome = ingest(org, forged)
    assert outcome.status == "quarantined"
    result = cli("mail", "release", str(outcome.inbox_id))
    assert result.exit_code == 0, result.output
    assert f"inbox #{outcome.inbox_id} quarantined: " in result.output
    [row] = inbox_rows(org)
    assert (row.status, row.reason) == ("quarantined", outcome.reason)
    assert outgoing(org, "confirm-") == []


def test_raw_of_a_missing_message_is_one_line(cli: Cli) -> None:
    result = cli("mail", "raw", "424242")
    assert result.exit_code == 1
    assert result.output == "okrmail: inbox #424242: no such message\n"


def test_the_recipient_is_told_once_that_replies_came_from_another_address(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    """Else they believe they answered, and are chased for it. The notice goes to the
    address the prompt went to, never to the stranger, and repeats nothing they wrote."""
    written = "1. KR1 4 days, KR2 38\n4. KR1 8"
    outcome = ingest(org, reply(lena, written, sender=PERSONAL))
    assert outcome.status == "quarantined"
    assert outcome.reason and outcome.reason.endswith(f"; {lena.email} told")
    [notice] = outgoing(org, "wrong-sender-")
    assert notice["To"].addresses[0].addr_spec == lena.email
    assert str(notice["Reply-To"]) == lena.reply_address  # answering it records the check-in
    assert str(notice["In-Reply-To"]) == lena.message_id
    assert str(notice["Auto-Submitted"]) == "auto-generated"
    assert "Not recorded" in str(notice["Subject"])
    text = " ".join(text_of(notice).split())
    assert f"arrived from {PERSONAL}" in text and "it was not recorded" in text
    assert "KR1 4 days" not in text and "KR2 38" not in text

    clock.advance(timedelta(minutes=10))
    for stranger in (PERSONAL, "someone.else@elsewhere.example"):
        assert ingest(org, reply(lena, "2. Also this", sender=stranger)).status == "quarantined"
    assert len(outgoing(org, "wrong-sender-")) == 1  # once per prompt, whoever writes

    clock.advance(timedelta(minutes=10))
    answer = reply(
        lena,
        written,
        to=str(notice["Reply-To"]),
        parent=str(notice["Message-ID"]),
        quote=text_of(notice),
    )
    assert ingest(org, answer).status == "checkin"
    [confirmation] = outgoing(org, "confirm-")
    assert "progress: 4 days (60% of the way from 7 to 2 days)" in text_of(confirmation)


def test_nobody_is_told_about_a_stray_reply_to_a_prompt_too_old_to_answer(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    clock.advance(timedelta(days=31))
    assert ingest(org, reply(lena, "1. Late", sender=PERSONAL)).status == "quarantined"
    assert outgoing(org, "wrong-sender-") == []


def test_the_notice_cannot_be_named_to_answer_in_the_recipients_name(
    org: AppContext, lena: SentPrompt
) -> None:
    """A reply without a token is routed by the ids it answers: the notice's must be as
    secret as the prompt's, or naming it would attach a forged reply to the check-in."""
    assert ingest(org, reply(lena, "1. Mine", sender=PERSONAL)).status == "quarantined"
    [notice] = outgoing(org, "wrong-sender-")
    assert lena.token[:12] in str(notice["Message-ID"])
    guessed = f"<wrong-sender-{lena.id}@{org.settings.mail.message_id_domain}>"
    forged = reply(lena, "1. All done", to="checkins@example.com", parent=guessed)
    assert ingest(org, forged).status == "quarantined"


def test_nobody_is_told_when_a_colleague_answers_all_in_the_thread(
    org: AppContext, lena: SentPrompt
) -> None:
    """Her manager replying to the thread is not Lena answering from another address."""
    outcome = ingest(org, reply(lena, "Looks good!", sender="ana.keller@example.com"))
    assert outcome.status == "quarantined"
    assert outgoing(org, "wrong-sender-") == []


def test_after_an_answer_the_notice_says_the_check_in_stands(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    assert ingest(org, reply(lena, "1. KR1 4 days")).status == "checkin"
    clock.advance(timedelta(hours=1))
    assert ingest(org, reply(lena, "1. KR1 3 days", sender=PERSONAL)).status == "quarantined"
    [notice] = outgoing(org, "wrong-sender-")
    text = " ".join(text_of(notice).split())
    assert "your check-in stands as you answered it" in text
    assert "still open" not in text


def test_a_fetch_running_during_a_release_leaves_the_released_message_to_it(
    org: AppContext,
    lena: SentPrompt,
    cli: Cli,
    clock: ManualClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A released message keeps its old received_at: a fetch looking for stuck messages
    at that moment must not take it too (on SQLite both would merge it)."""
    from okrmail.inbound import ingest as ingest_module
    from okrmail.inbound import quarantine

    outcome = ingest(org, reply(lena, "1. KR1 4 days", sender=PERSONAL))
    imported = cli("people", "import", str(people_file_with_alias(tmp_path, lena.email, PERSONAL)))
    assert imported.exit_code == 0, imported.output
    clock.advance(timedelta(hours=2))  # long past the lease since it was received
    taken_by_fetch: list[object] = []

    def fetch_meanwhile_then_process(ctx: AppContext, ids: list[int]) -> object:
        lease = timedelta(seconds=ctx.settings.tick.claim_lease_seconds)
        taken_by_fetch.extend(ingest_module.reprocess_stuck(ctx, older_than=lease))
        return ingest_module.process(ctx, ids)

    monkeypatch.setattr(quarantine, "process", fetch_meanwhile_then_process)
    released = quarantine.release(org, [outcome.inbox_id])
    assert taken_by_fetch == []
    assert [item.status for item in released.outcomes] == ["checkin"]
    assert len(outgoing(org, "confirm-")) == 1


def reports(org: AppContext) -> list[str]:
    return [" ".join(text_of(message).split()) for message in outgoing(org, "quarantine-")]


def test_the_admin_gets_what_was_quarantined_once_a_day_and_only_when_there_is_some(
    org: AppContext, lena: SentPrompt, clock: ManualClock
) -> None:
    admin = with_settings(org, app={"admin_email": "it@example.com"})
    forged = ingest(admin, reply(lena, "1. Done", to=f"checkins+{'x' * 32}@example.com", parent=""))
    stray = ingest(admin, reply(lena, "1. Mine", sender=PERSONAL))
    assert {forged.status, stray.status} == {"quarantined"}
    tick(admin, InlineDispatcher(admin))
    [first] = outgoing(org, "quarantine-")
    assert first["To"].addresses[0].addr_spec == "it@example.com"
    assert str(first["Subject"]) == "2 quarantined messages to look at"
    text = reports(org)[0]
    assert f"inbox #{forged.inbox_id} " in text and f"inbox #{stray.inbox_id} " in text
    assert f"from {PERSONAL}" in text and "unknown reply token" in text
    assert "okrmail mail release ID" in text

    clock.advance(timedelta(hours=6))
    late = ingest(admin, reply(lena, "1. Again", sender="someone@elsewhere.example"))
    tick(admin, InlineDispatcher(admin))
    assert len(reports(org)) == 1  # not before the day is out
    clock.advance(timedelta(hours=19))
    tick(admin, InlineDispatcher(admin))
    assert len(reports(org)) == 2
    latest = reports(org)[-1]
    assert f"inbox #{late.inbox_id} " in latest and f"inbox #{stray.inbox_id} " not in latest
    clock.advance(timedelta(hours=25))
    tick(admin, InlineDispatcher(admin))
    assert len(reports(org)) == 2  # a day with nothing new: nothing to say


def test_a_message_is_in_one_report_however_often_the_job_runs(
    org: AppContext, lena: SentPrompt
) -> None:
    """The tick's lease can run out and the job run twice, or two workers run it."""
    admin = with_settings(org, app={"admin_email": "it@example.com"})
    stray = ingest(admin, reply(lena, "1. Mine", sender=PERSONAL))
    assert send_report(admin) is not None
    assert send_report(admin) is None
    assert len(reports(org)) == 1
    # Released and quarantined again: news again, in the next report.
    assert release(admin, [stray.inbox_id]).outcomes[0].status == "quarantined"
    assert send_report(admin) is not None
    assert len(reports(org)) == 2


def test_a_report_that_fails_is_tried_again_within_the_hour(
    org: AppContext, lena: SentPrompt, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = with_settings(org, app={"admin_email": "it@example.com"})
    stray = ingest(admin, reply(lena, "1. Mine", sender=PERSONAL))
    working = outbox.record_once

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the template folder is unreadable")

    monkeypatch.setattr(outbox, "record_once", broken)
    tick(admin, InlineDispatcher(admin))
    assert outgoing(org, "quarantine-") == []
    with admin.sessions() as session:
        task = session.scalars(select(PeriodicTask).where(PeriodicTask.name == TASK)).one()
        assert task.last_error == "RuntimeError: the template folder is unreadable"
    monkeypatch.setattr(outbox, "record_once", working)
    clock.advance(timedelta(hours=1))
    tick(admin, InlineDispatcher(admin))
    [report] = outgoing(org, "quarantine-")
    assert f"inbox #{stray.inbox_id} " in " ".join(text_of(report).split())


def test_no_report_is_due_without_an_admin_to_read_it(org: AppContext, lena: SentPrompt) -> None:
    ingest(org, reply(lena, "1. Mine", sender=PERSONAL))
    assert "report_quarantine" not in tick(org, InlineDispatcher(org)).dispatched
    assert outgoing(org, "quarantine-") == []


def test_two_runs_at_once_send_one_report(
    org: AppContext, lena: SentPrompt, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second run starts and finishes while the first has read the messages but not yet
    marked them: one report either way (PostgreSQL: the second skips the rows the first
    holds; SQLite: the first finds them marked and gives up)."""
    from okrmail.inbound import quarantine

    admin = with_settings(org, app={"admin_email": "it@example.com"})
    ingest(admin, reply(lena, "1. Mine", sender=PERSONAL))
    real_update = quarantine.update
    rival: list[int | None] = []

    def update_after_a_rival_run(*args: object) -> object:
        if not rival:
            rival.append(None)  # the rival itself marks without a rival of its own
            rival[0] = quarantine.send_report(admin)
        return real_update(*args)

    monkeypatch.setattr(quarantine, "update", update_after_a_rival_run)
    first = quarantine.send_report(admin)
    assert [first, rival[0]].count(None) == 1
    assert len(reports(org)) == 1

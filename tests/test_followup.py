"""Chases and digests, driven by the injectable clock, asserting on the emails that left
through a real SMTP server on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from okrmail.app import AppContext
from okrmail.booking import book_all
from okrmail.clock import ManualClock
from okrmail.imports.okrs import import_okrs
from okrmail.imports.people import import_people
from okrmail.inbound.ingest import ingest
from okrmail.meetings import move_meeting
from okrmail.models import Chase, CheckIn, Meeting, Person, Prompt
from okrmail.tick import tick
from tests.conftest import PEOPLE_HEADER, make_settings, write_csv
from workers.dispatch import InlineDispatcher
from workers.jobs import JOBS

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)
RULES = {
    "prompts": {"lead_hours": 48, "earliest_hours": 72},
    "chase": {
        "first_after_hours": 24,
        "last_before_hours": 4,
        "min_gap_hours": 4,
        "max_per_prompt": 2,
    },
    "digest": {"lead_hours": 2},
    "cadences": {
        **{
            c: {"window": "09:00-17:00", "days": [1, 2, 3, 4, 5]}
            for c in ("biweekly", "monthly", "quarterly")
        },
        "weekly": {"window": "14:00-15:00", "days": [4]},
    },
}
MIA = "mia@example.com,Mia Manager,,Europe/Berlin,09:00-17:00,Mon-Fri,,"
ROB = "rob@example.com,Rob Report,mia@example.com,Europe/Berlin,09:00-17:00,Mon-Fri,weekly,"
OKRS = (
    "person,cycle,objective,key_result,start,target,unit",
    "rob@example.com,2026-Q4,Grow usage,Weekly active teams,10,50,teams",
    "rob@example.com,2026-Q4,Grow usage,Activation rate,20,60,%",
)


class Run:
    """A scenario: settings pointed at the SMTP server, the clock, and what arrived."""

    def __init__(self, ctx: AppContext, clock: ManualClock, received: Any) -> None:
        self.ctx, self.clock, self.received = ctx, clock, received

    def until(
        self, instant: datetime, step: timedelta = timedelta(minutes=30), dispatcher: Any = None
    ) -> None:
        dispatcher = dispatcher or InlineDispatcher(self.ctx)
        while self.clock.now() < instant:
            self.clock.advance(min(step, instant - self.clock.now()))
            tick(self.ctx, dispatcher)

    def emails(self, kind: str, to: str | None = None) -> list[EmailMessage]:
        found = []
        for _, recipients, raw in self.received.messages:
            message = message_from_bytes(raw, policy=policy.default)
            if str(message["Message-ID"]).startswith(f"<{kind}-") and (
                to is None or to in recipients
            ):
                found.append(message)
        return found

    def reply(self, prompt: EmailMessage, sender: str, body: str) -> Any:
        """A person's reply to `prompt` (or any email we sent), written now as a mail client
        writes it, fed through the real ingest path."""
        quoted = "\n".join(
            f"> {line}" for line in prompt.get_body(("plain",)).get_content().splitlines()
        )
        text = f"{body}\n\nOn Tue, okrmail <checkins@example.com> wrote:\n{quoted}\n"
        return self.send_reply(prompt, sender, text)

    def send_reply(
        self, prompt: EmailMessage, sender: str, text: str = "", *, html: str | None = None
    ) -> Any:
        """A reply to `prompt` whose body is `text` (or `html`, alone) as given, quoting
        whatever the test put in it, fed through the real ingest path."""
        message = EmailMessage()
        message["From"] = sender
        message["To"] = str(prompt["Reply-To"] or prompt["From"])
        message["Subject"] = f"Re: {prompt['Subject']}"
        message["Message-ID"] = make_msgid(domain="mail.example.com")
        message["In-Reply-To"] = str(prompt["Message-ID"])
        thread = [str(prompt["References"])] if prompt["References"] else []
        message["References"] = " ".join([*thread, str(prompt["Message-ID"])])
        message["Date"] = format_datetime(self.clock.now())
        if html is None:
            message.set_content(text)
        else:
            message.set_content(html, subtype="html")
        return ingest(self.ctx, message.as_bytes(), source="smtp")


def local(message: EmailMessage, zone: ZoneInfo) -> datetime:
    return parsedate_to_datetime(str(message["Date"])).astimezone(zone)


def smtp_context(ctx: AppContext, clock: ManualClock, smtp_server: Any, **rules: Any) -> AppContext:
    """The test's database and clock, mail out to the loopback SMTP server, RULES + `rules`."""
    host, port, _ = smtp_server
    sections = {**RULES, **rules}
    settings = make_settings(
        ctx.settings.app.data_dir,
        ctx.settings.database.url,
        mail={"outbound": "smtp"},
        smtp={"host": host, "port": port, "security": "none"},
        **sections,
    )
    return AppContext(settings, clock=clock, engine=ctx.engine)


def scenario_with(
    ctx: AppContext, clock: ManualClock, received: Any, tmp_path: Path, *rows: str
) -> Run:
    with ctx.transaction() as session:
        import_people(
            session,
            write_csv(tmp_path / "people.csv", PEOPLE_HEADER, *rows),
            ctx.settings.templates_path,
        )
    with ctx.transaction() as session:
        import_okrs(session, write_csv(tmp_path / "okrs.csv", *OKRS))
    booked, problems = book_all(ctx)
    assert booked and not problems
    return Run(ctx, clock, received)


def thursday(hour: int, minute: int = 0, day: int = 19) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


ANSWERS = """1. KR1 18/50, KR2 31%
2. Blocked on the data export from finance
3. Pairing with Ana on the export on Friday
4. KR1 7, KR2 5
5. No changes"""


def test_answered_on_time_no_chase_and_the_digest_has_the_answers(run: Run) -> None:
    run.until(thursday(9, 0, day=17))  # Tue 09:00: nothing yet
    assert run.emails("prompt") == []
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert local(prompt, BERLIN).replace(tzinfo=None) == datetime(2026, 11, 17, 14, 0)
    outcome = run.reply(prompt, "Rob Report <rob@example.com>", ANSWERS)
    assert outcome.status == "checkin", outcome.reason
    run.until(thursday(15))
    assert run.emails("chase") == []
    [digest] = run.emails("digest", "mia@example.com")
    assert local(digest, BERLIN).time() == time(12, 0)
    text = digest.get_body(("plain",)).get_content()
    assert "Blocked on the data export from finance" in text
    assert "KR1. Weekly active teams" in text and "18" in text
    assert "NO CHECK-IN YET" not in text and "ESCALATION" not in text
    assert "YOUR PREP QUESTIONS" in text


def test_no_answer_two_chases_at_the_right_local_times_then_escalation(run: Run) -> None:
    run.until(thursday(15))
    [prompt] = run.emails("prompt", "rob@example.com")
    chases = run.emails("chase", "rob@example.com")
    assert [local(c, BERLIN).replace(tzinfo=None) for c in chases] == [
        datetime(2026, 11, 18, 14, 0),
        datetime(2026, 11, 19, 10, 0),
    ]
    for chase in chases:
        assert chase["In-Reply-To"] == prompt["Message-ID"]
        assert chase["Reply-To"] == prompt["Reply-To"]
        assert str(chase["Subject"]).startswith("Re: ")
    assert "last friendly nudge" in chases[1].get_body(("plain",)).get_content()
    [digest] = run.emails("digest", "mia@example.com")
    text = digest.get_body(("plain",)).get_content()
    assert "NO CHECK-IN YET" in text and "ESCALATION" in text
    assert "Reminded: Wed 18 Nov 14:00, Thu 19 Nov 10:00" in text
    assert "no check-in yet" in str(digest["Subject"])


def test_a_reply_between_a_chases_claim_and_its_send_stops_it(run: Run) -> None:
    held: list[tuple[str, list[int]]] = []

    class Holding(InlineDispatcher):
        def dispatch(self, job: str, ids: list[int]) -> None:
            if job == "send_chases":
                held.append((job, ids))  # claimed by the tick, not yet run
            else:
                super().dispatch(job, ids)

    run.until(
        datetime(2026, 11, 18, 14, 0, tzinfo=BERLIN).astimezone(UTC), dispatcher=Holding(run.ctx)
    )
    assert held, "the first chase was claimed"
    [prompt] = run.emails("prompt", "rob@example.com")
    assert run.reply(prompt, "rob@example.com", ANSWERS).status == "checkin"
    for job, ids in held:
        JOBS[job](run.ctx, ids)
    assert run.emails("chase") == []
    with run.ctx.sessions() as session:
        chase = session.scalars(select(Chase).order_by(Chase.number)).first()
        assert (chase.status, chase.reason) == ("skipped", "the check-in was answered")


def test_a_meeting_moved_after_the_prompt_moves_its_chases_and_digest(run: Run) -> None:
    run.until(thursday(15, day=17))
    with run.ctx.sessions() as session:
        meeting = session.scalars(select(Meeting).order_by(Meeting.start)).first()
    friday = datetime(2026, 11, 20, 15, 0, tzinfo=BERLIN).astimezone(UTC)
    move_meeting(run.ctx, meeting.id, friday)
    run.until(datetime(2026, 11, 20, 16, 0, tzinfo=BERLIN).astimezone(UTC))
    chases = run.emails("chase", "rob@example.com")
    assert [local(c, BERLIN).replace(tzinfo=None) for c in chases] == [
        datetime(2026, 11, 18, 14, 0),
        datetime(2026, 11, 20, 11, 0),
    ]
    [digest] = run.emails("digest", "mia@example.com")
    assert local(digest, BERLIN).replace(tzinfo=None) == datetime(2026, 11, 20, 13, 0)
    assert "Fri 20 Nov 15:00" in digest.get_body(("plain",)).get_content()


def test_quiet_hours_and_weekends_are_honoured(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    scenario = smtp_context(
        ctx,
        clock,
        smtp_server,
        cadences={**RULES["cadences"], "weekly": {"window": "14:00-15:00", "days": [1]}},
        chase={**RULES["chase"], "quiet_start": "16:00", "quiet_end": "10:00"},
    )
    clock.set(datetime(2026, 11, 17, 6, 0, tzinfo=UTC))  # a Tuesday: the meeting is next Monday
    run = scenario_with(scenario, clock, smtp_server[2], tmp_path, MIA, ROB)
    run.until(datetime(2026, 11, 23, 16, 0, tzinfo=BERLIN).astimezone(UTC))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert local(prompt, BERLIN).replace(tzinfo=None) == datetime(2026, 11, 20, 17, 0)
    chases = run.emails("chase", "rob@example.com")
    # A day after Friday's prompt is Saturday: the reminder waits for Monday at 10:00, when
    # quiet hours end; the "shortly before" one would come too soon after it and is dropped.
    assert [local(c, BERLIN).replace(tzinfo=None) for c in chases] == [
        datetime(2026, 11, 23, 10, 0)
    ]
    for chase in chases:
        moment = local(chase, BERLIN)
        assert moment.isoweekday() <= 5, "no chase on the weekend"
        assert time(10) <= moment.time() <= time(16), "no chase in quiet hours"


def out_of_office(prompt: EmailMessage) -> bytes:
    auto = EmailMessage()
    auto["From"] = "rob@example.com"
    auto["To"] = str(prompt["Reply-To"])
    auto["Subject"] = f"Automatic reply: {prompt['Subject']}"
    auto["Auto-Submitted"] = "auto-replied"
    auto["Message-ID"] = make_msgid(domain="mail.example.com")
    auto.set_content("I am out of the office until 30 November 2026 with limited access to email.")
    return auto.as_bytes()


def test_a_person_away_is_not_chased(run: Run) -> None:
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert ingest(run.ctx, out_of_office(prompt), source="smtp").status == "auto-reply"
    run.until(thursday(15))
    assert run.emails("chase") == []
    with run.ctx.sessions() as session:
        rob = session.scalars(select(Person).where(Person.email == "rob@example.com")).one()
        assert rob.away_until is not None and rob.away_until > thursday(15)
        reasons = set(session.scalars(select(Chase.reason)))
        assert any("away until" in (reason or "") for reason in reasons)
    [digest] = run.emails("digest", "mia@example.com")
    text = digest.get_body(("plain",)).get_content()
    assert "Away, back Tue 1 Dec; not chased while away." in text


def test_a_person_away_is_no_escalation_to_their_manager(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    """Mia was told Rob had not answered "after 0 reminders", and her digest raised it as
    an escalation beside saying he was away."""
    clock.set(MONDAY)
    scenario = smtp_context(
        ctx, clock, smtp_server, chase={**RULES["chase"], "notify_manager": True}
    )
    run = scenario_with(scenario, clock, smtp_server[2], tmp_path, MIA, ROB)
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert ingest(run.ctx, out_of_office(prompt), source="smtp").status == "auto-reply"

    run.until(thursday(15))

    assert run.emails("chase") == []  # neither Rob nor Mia
    [digest] = run.emails("digest", "mia@example.com")
    text = digest.get_body(("plain",)).get_content()
    assert "Away, back Tue 1 Dec; not chased while away." in text
    assert "ESCALATION" not in text


def test_a_bounced_prompt_is_said_undelivered_in_the_digest(run: Run) -> None:
    """The digest said only "no check-in yet": the manager took the silence for Rob's."""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    bounce = f"""\
From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: checkins@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-rob@mx.example.com>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUND"

--BOUND
Content-Type: text/plain

Your message could not be delivered.

--BOUND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; rob@example.com
Action: failed
Status: 5.1.1

--BOUND
Content-Type: text/rfc822-headers

From: okrmail <checkins@example.com>
To: rob@example.com
Message-ID: {prompt["Message-ID"]}

--BOUND--
""".replace("\n", "\r\n").encode()
    assert ingest(run.ctx, bounce, source="smtp").status == "bounce"

    run.until(thursday(15))

    [digest] = run.emails("digest", "mia@example.com")
    text = " ".join(digest.get_body(("plain",)).get_content().split())
    assert "UNDELIVERED: the check-in email to rob@example.com bounced; the admin was told." in text
    assert "ESCALATION" not in text
    html = digest.get_body(("html",)).get_content()
    assert "rob@example.com bounced" in html


def test_a_late_reply_is_recorded_and_flagged_in_the_next_digest(run: Run) -> None:
    run.until(thursday(16))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert run.reply(prompt, "rob@example.com", ANSWERS).status == "checkin"
    with run.ctx.sessions() as session:
        assert session.scalars(select(CheckIn)).one().late is True
    run.until(thursday(15, day=26))
    digests = run.emails("digest", "mia@example.com")
    assert len(digests) == 2
    text = digests[1].get_body(("plain",)).get_content()
    assert "LATEST CHECK-IN, from the meeting of Thu 19 Nov 14:00" in text
    assert "LATE: after that meeting" in text


def test_the_digest_shows_each_change_in_the_key_results_unit(run: Run) -> None:
    run.until(thursday(14, 30, day=17))
    [first] = run.emails("prompt", "rob@example.com")
    assert run.reply(first, "rob@example.com", ANSWERS).status == "checkin"
    run.until(thursday(14, 30, day=24))
    second = run.emails("prompt", "rob@example.com")[-1]
    assert run.reply(second, "rob@example.com", "1. KR1 17/50, KR2 31%").status == "checkin"
    run.until(thursday(15, day=26))
    text = " ".join(
        run.emails("digest", "mia@example.com")[-1].get_body(("plain",)).get_content().split()
    )
    assert (
        "17 teams (18% of the way from 10 to 50 teams); −1 team since last check-in (18 → 17)"
        in text
    )
    assert "no change since last check-in (31%)" in text
    # Each on its own line, as laid out (the progress line swallowed the confidence one).
    lines = run.emails("digest", "mia@example.com")[-1].get_body(("plain",)).get_content()
    shown = [line.strip() for line in lines.splitlines()]
    assert (
        "17 teams (18% of the way from 10 to 50 teams); −1 team since last check-in (18 → 17)"
        in shown
    )
    assert sum(line.startswith("confidence:") for line in shown) == 2


def test_manager_and_report_across_a_dst_change(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    scenario = smtp_context(
        ctx,
        clock,
        smtp_server,
        cadences={**RULES["cadences"], "weekly": {"window": "10:00-11:00", "days": [2]}},
    )
    clock.set(datetime(2026, 2, 27, 6, 0, tzinfo=UTC))
    nina = "nina@example.com,Nina NY,,America/New_York,09:00-17:00,Mon-Fri,,"
    bernd = (
        "rob@example.com,Bernd Berlin,nina@example.com,Europe/Berlin,09:00-18:00,Mon-Fri,weekly,"
    )
    run = scenario_with(scenario, clock, smtp_server[2], tmp_path, nina, bernd)
    run.until(datetime(2026, 3, 18, 0, 0, tzinfo=UTC), step=timedelta(hours=1))
    digests = run.emails("digest", "nina@example.com")
    # Tue 3 Mar, before the US change on 8 March; 10 and 17 Mar after it, before Europe's.
    assert [local(d, NEW_YORK).date().day for d in digests] == [3, 10, 17]
    for digest in digests:
        assert local(digest, NEW_YORK).time() == time(8, 0), "2 h before 10:00 New York time"
    for chase in run.emails("chase", "rob@example.com"):
        moment = local(chase, BERLIN)
        assert time(9) <= moment.time() <= time(18) and moment.isoweekday() <= 5


class Balance(HTMLParser):
    VOID = frozenset({"br", "meta", "img", "hr", "link", "input", "col", "area", "base", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else '-'}>")
        else:
            self.stack.pop()


def test_digest_html_is_well_formed_and_the_text_part_carries_the_same_facts(run: Run) -> None:
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    run.reply(prompt, "rob@example.com", ANSWERS)
    run.until(thursday(15))
    [digest] = run.emails("digest", "mia@example.com")
    html = digest.get_body(("html",)).get_content()
    text = digest.get_body(("plain",)).get_content()
    checker = Balance()
    checker.feed(html)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    facts = [
        "Rob Report",
        "Weekly active teams",
        "Activation rate",
        "Blocked on the data export from finance",
        "Pairing with Ana on the export on Friday",
    ]
    for fact in facts:
        assert fact in text and fact in html, fact
    assert 'style="' in html and "<style" not in html.split("</head>")[1]


@pytest.mark.parametrize("how", ["inline", "rq"])
def test_every_job_run_twice_sends_each_email_once(
    run: Run, how: str, request: pytest.FixtureRequest
) -> None:
    if how == "inline":

        class Twice(InlineDispatcher):
            def dispatch(self, job: str, ids: list[int]) -> None:
                super().dispatch(job, ids)
                super().dispatch(job, ids)

        dispatcher: Any = Twice(run.ctx)
        drain = lambda: None  # noqa: E731
    else:
        dispatcher, drain = rq_twice(run.ctx, request.getfixturevalue("redis_url"), request)
    step = timedelta(hours=1)
    while run.clock.now() < thursday(16, day=26):
        run.clock.advance(step)
        tick(run.ctx, dispatcher)
        drain()
    ids = [
        str(message["Message-ID"])
        for _, _, raw in run.received.messages
        for message in [message_from_bytes(raw, policy=policy.default)]
    ]
    assert len(ids) == len(set(ids))
    kinds = sorted({i.split("-")[0] for i in ids})
    assert kinds == ["<chase", "<digest", "<prompt"]
    with run.ctx.sessions() as session:
        sent_prompts = session.scalars(select(Prompt).where(Prompt.status == "sent")).all()
        assert len(run.emails("prompt")) == len(sent_prompts) == 2


def rq_twice(ctx: AppContext, redis_url: str, request: pytest.FixtureRequest) -> tuple[Any, Any]:
    import uuid

    from redis import Redis
    from rq import Queue, SimpleWorker

    from workers import jobs
    from workers.dispatch import RqDispatcher

    name = f"okrmail-test-{uuid.uuid4().hex[:8]}"
    connection = Redis.from_url(redis_url)
    jobs.configure(ctx)
    request.addfinalizer(
        lambda: (jobs.configure(None), Queue(name, connection=connection).delete(delete_jobs=True))
    )

    def drain() -> None:
        queue = Queue(name, connection=connection)
        pending = [queue.fetch_job(job_id) for job_id in queue.job_ids]
        SimpleWorker([queue], connection=connection).work(burst=True)
        for job in pending:  # the same jobs again, as if the queue had delivered them twice
            if job is not None:
                job.func(*job.args)

    return RqDispatcher(redis_url, name), drain


def test_the_manager_can_also_get_a_note_when_reminders_went_unanswered(
    ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path
) -> None:
    clock.set(MONDAY)
    scenario = smtp_context(
        ctx, clock, smtp_server, chase={**RULES["chase"], "notify_manager": True}
    )
    run = scenario_with(scenario, clock, smtp_server[2], tmp_path, MIA, ROB)
    run.until(thursday(15))
    [note] = run.emails("chase", "mia@example.com")
    text = note.get_body(("plain",)).get_content()
    assert "Rob Report has not answered the check-in" in text and "after 2 reminders" in text
    assert local(note, BERLIN).replace(tzinfo=None) == datetime(2026, 11, 19, 12, 0)
    assert len(run.emails("chase", "rob@example.com")) == 2

    # Mia replies to the note and to her digest: each is explained, neither is recorded.
    [digest] = run.emails("digest", "mia@example.com")
    for ours, what in (
        (note, "the note about a missing check-in"),
        (digest, "the pre-meeting digest"),
    ):
        assert "Replies to this email are not read." in ours.get_body(("plain",)).get_content()
        outcome = run.reply(ours, "Mia Manager <mia@example.com>", "Thanks, I'll raise it.")
        assert outcome.status == "quarantined"
        assert outcome.reason.startswith(
            f"a reply to {what} we sent Mia Manager <mia@example.com> on 2026-11-19, "
            "which takes no replies; nothing was recorded"
        ), outcome.reason
    # Not taken for a reply to Rob's prompt, from the wrong sender: no notice tells Rob.
    assert run.emails("wrong-sender") == []
    with run.ctx.sessions() as session:
        assert session.scalars(select(CheckIn)).all() == []
        assert "answered" not in session.scalars(select(Prompt.status)).all()


def test_digest_preview_and_checkin_export_from_the_command_line(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csv
    import io
    import json

    from click.testing import CliRunner

    from okrmail.cli import main

    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    run.reply(prompt, "rob@example.com", ANSWERS)
    monkeypatch.setenv("OKRMAIL_DATABASE__URL", run.ctx.settings.database.url)
    monkeypatch.setenv("OKRMAIL_APP__DATA_DIR", str(run.ctx.settings.app.data_dir))
    now = ["--now", run.clock.now().isoformat()]
    cli = CliRunner()
    preview = cli.invoke(main, [*now, "digest", "preview", "--manager", "mia@example.com"])
    assert preview.exit_code == 0, preview.output
    assert "Before your 1-on-1 with Rob Report" in preview.output
    assert "Blocked on the data export from finance" in preview.output
    missing = cli.invoke(main, [*now, "digest", "preview", "--manager", "nobody@example.com"])
    assert missing.exit_code == 1 and "no person 'nobody@example.com'" in missing.output
    exported = cli.invoke(main, ["checkins", "export", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    progress = {row["kr_number"]: row["value"] for row in rows if row["fact"] == "progress"}
    assert progress == {"1": "18", "2": "31"}
    assert {row["person"] for row in rows} == {"rob@example.com"}
    records = json.loads(cli.invoke(main, ["checkins", "export", "--format", "json"]).output)
    assert records[0]["answers"]["blockers"].startswith("Blocked on the data export")
    later = cli.invoke(main, ["checkins", "export", "--format", "json", "--since", "2027-01-01"])
    assert json.loads(later.output) == []


def test_a_meeting_cancelled_after_the_prompt_gets_no_chase_and_no_digest(run: Run) -> None:
    """Only the note that it is off (tests/test_cancelled_meetings.py)."""
    from okrmail.meetings import cancel_meeting

    run.until(thursday(15, day=17))
    assert len(run.emails("prompt", "rob@example.com")) == 1
    with run.ctx.sessions() as session:
        meeting = session.scalars(select(Meeting).order_by(Meeting.start)).first()
    cancel_meeting(run.ctx, meeting.id)
    run.until(thursday(16))
    assert run.emails("chase") == [] and run.emails("digest") == []
    assert len(run.emails("meeting_cancelled", "rob@example.com")) == 1
    with run.ctx.sessions() as session:
        chases = session.scalars(select(Chase))
        assert {(c.kind, c.status) for c in chases} == {
            ("reminder", "cancelled"),
            ("cancel_note", "sent"),
        }


PARAGRAPH = (
    "Quiet week, honestly. Spent most of it untangling the finance export with Ana,"
    " which should unblock the dashboard next week."
)


@pytest.mark.parametrize(
    ("body", "also_wrote"),
    [
        (PARAGRAPH, PARAGRAPH),  # ignored the questions: all of it is a note
        (f"Hi Mia,\n\n{ANSWERS}\n\nThanks,\nRob", None),  # courtesies only: not repeated
    ],
)
def test_what_a_reply_says_outside_its_answers_reaches_the_digest(
    run: Run, body: str, also_wrote: str | None
) -> None:
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    outcome = run.reply(prompt, "rob@example.com", body)
    assert outcome.status == "checkin", outcome.reason
    run.until(thursday(15))
    [digest] = run.emails("digest", "mia@example.com")
    text = " ".join(digest.get_body(("plain",)).get_content().split())
    html = " ".join(digest.get_body(("html",)).get_content().split())
    if also_wrote is None:
        assert "Also wrote" not in text and "Also wrote" not in html
        assert "Blocked on the data export from finance" in text
    else:
        assert f"Also wrote: {also_wrote}" in text
        assert also_wrote in html

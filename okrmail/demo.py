"""`make demo`: one full check-in cycle on the embedded defaults, in a throwaway folder.

Imports the sample organisation, books every pairing on the local calendar, runs the clock
forward two weeks tick by tick (inline jobs), sends the prompts to a local Maildir, and
prints what happened and where to look.
"""

from __future__ import annotations

import mailbox
import shutil
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from okrmail.answer_view import note_shown
from okrmail.app import AppContext
from okrmail.booking import book_all
from okrmail.clock import ManualClock
from okrmail.db import upgrade
from okrmail.demo_replies import SCRIPTS, Reply, reply_message
from okrmail.imports.okrs import import_okrs
from okrmail.imports.people import import_people
from okrmail.inbound.ingest import ingest
from okrmail.models import Chase, CheckIn, Meeting, Prompt, Series
from okrmail.prompting import format_value
from okrmail.settings import PROJECT_ROOT, Settings, load_settings
from okrmail.tick import tick
from workers.dispatch import InlineDispatcher

DEMO_DIR = PROJECT_ROOT / "demo-data"
EXAMPLES = PROJECT_ROOT / "examples"
STEP = timedelta(minutes=30)
DAYS = 14


def demo_settings(data_dir: Path) -> Settings:
    """The shipped defaults (embedded: SQLite, local calendar, Maildir), in `data_dir`,
    with morning digests so one email shows a manager all of the day's 1-on-1s."""
    settings = load_settings(environ={})
    app = settings.app.model_copy(update={"data_dir": data_dir})
    digest = settings.digest.model_copy(update={"mode": "morning"})
    return settings.model_copy(update={"app": app, "digest": digest})


def run(data_dir: Path = DEMO_DIR, out=sys.stdout) -> AppContext:  # type: ignore[no-untyped-def]
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    today = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=today.weekday())  # this week's Monday: a full week ahead
    clock = ManualClock(start)
    ctx = AppContext(demo_settings(data_dir), clock=clock)
    upgrade(ctx.settings.database_url)

    def say(line: str = "") -> None:
        print(line, file=out)

    say(f"okrmail demo — data in {data_dir}")
    with ctx.transaction() as session:
        people = import_people(session, EXAMPLES / "people.csv", ctx.settings.templates_path)
    say(f"imported people: {people}")
    with ctx.transaction() as session:
        okrs = import_okrs(session, EXAMPLES / "okrs.csv")
    say(f"imported key results: {okrs}")
    booked, problems = book_all(ctx)
    say(f"booked {len(booked)} recurring 1-on-1s on the local calendar")
    for problem in problems:
        say(f"  not booked: {problem}")

    dispatcher = InlineDispatcher(ctx)
    people = SimulatedPeople(ctx)
    for _ in range(int(timedelta(days=DAYS) / STEP)):
        clock.advance(STEP)
        tick(ctx, dispatcher)
        people.reply_when_due()
    minutes = int(STEP.total_seconds() // 60)
    say(f"ran the clock forward {DAYS} days, ticking every {minutes} minutes")
    say()
    _print_series(ctx, say)
    _print_prompts(ctx, say)
    _print_checkins(ctx, people, say)
    _print_where(ctx, say)
    _print_digest(ctx, say)
    return ctx


def _print_series(ctx: AppContext, say) -> None:  # type: ignore[no-untyped-def]
    say("Series booked (local times for both people):")
    with ctx.sessions() as session:
        for series in session.scalars(select(Series).order_by(Series.id)):
            pairing = series.pairing
            manager, report = pairing.manager, pairing.report
            first = series.first_start
            mine = first.astimezone(ZoneInfo(manager.timezone))
            theirs = first.astimezone(ZoneInfo(report.timezone))
            say(
                f"  {manager.name} ↔ {report.name}: {pairing.cadence}, first {mine:%a %d %b}, "
                f"{mine:%H:%M} {manager.timezone} = {theirs:%H:%M} {report.timezone}"
                f"  [{series.rrule}]"
            )
    say()


def _print_prompts(ctx: AppContext, say) -> None:  # type: ignore[no-untyped-def]
    with ctx.sessions() as session:
        statuses = Counter(
            dict(session.execute(select(Prompt.status, func.count()).group_by(Prompt.status)).all())
        )
        sent = session.scalars(
            select(Prompt).where(Prompt.sent_at.is_not(None)).order_by(Prompt.sent_at)
        ).all()
        meetings = session.scalar(
            select(func.count()).select_from(Meeting).where(Meeting.start <= ctx.now())
        )
        say(
            f"Prompts sent: {len(sent)} for {meetings} meetings held so far "
            f"(pending later: {statuses.get('pending', 0)})"
        )
        for prompt in sent:
            local = prompt.sent_at.astimezone(ZoneInfo(prompt.person.timezone))  # type: ignore[union-attr]
            meeting = prompt.meeting.start.astimezone(ZoneInfo(prompt.person.timezone))
            say(
                f"  {local:%a %d %b %H:%M} {prompt.person.email:<28} {prompt.role:<7} "
                f"{prompt.question_set:<18} for the meeting {meeting:%a %d %b %H:%M}"
            )
    say()


class SimulatedPeople:
    """Answers prompts on behalf of the scripted people, through the real ingest path."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.done: set[int] = set()
        self.outcomes: list[tuple[str, str, str]] = []  # (email, status, reason)
        self._mail: dict[str, bytes] = {}

    def reply_when_due(self) -> None:
        now = self.ctx.now()
        with self.ctx.sessions() as session:
            prompts = session.scalars(
                select(Prompt)
                .join(Meeting)
                .where(Prompt.role == "report", Prompt.sent_at.is_not(None))
                .order_by(Meeting.start)
            ).all()
            seen: Counter[str] = Counter()
            due = []
            for prompt in prompts:
                email = prompt.person.email
                index = seen[email]
                seen[email] += 1
                script = _script(email, index)
                if script is None or prompt.id in self.done:
                    continue
                base = prompt.meeting.start if script.late else prompt.sent_at
                if now >= base + script.delay:  # type: ignore[operator]
                    due.append(
                        (
                            prompt.id,
                            str(prompt.message_id),
                            email,
                            prompt.person.name,
                            prompt.person.timezone,
                            script,
                        )
                    )
        for prompt_id, message_id, email, name, zone, script in due:
            self.done.add(prompt_id)
            prompt_email = message_from_bytes(self._find(message_id), policy=policy.default)
            raw = reply_message(prompt_email, email, name, script, now, zone)  # type: ignore[arg-type]
            outcome = ingest(self.ctx, raw, source="maildir")
            self.outcomes.append((email, outcome.status, outcome.reason or ""))

    def _find(self, message_id: str) -> bytes:
        if message_id not in self._mail:
            box = mailbox.Maildir(self.ctx.settings.data_path(self.ctx.settings.mail.maildir))
            for key in box.iterkeys():
                raw = box.get_bytes(key)
                found = message_from_bytes(raw, policy=policy.default)["Message-ID"]
                self._mail[str(found)] = raw
        return self._mail[message_id]


def _script(email: str, index: int) -> Reply | None:
    scripts = SCRIPTS.get(email, [])
    return scripts[index] if index < len(scripts) else None


def _print_checkins(ctx: AppContext, people: SimulatedPeople, say) -> None:  # type: ignore[no-untyped-def]
    say(f"Replies fed through the real ingest path: {len(people.outcomes)}")
    for email, status, reason in people.outcomes:
        say(f"  {email:<28} -> {status}{': ' + reason if reason else ''}")
    say()
    say("Check-ins recorded:")
    with ctx.sessions() as session:
        for checkin in session.scalars(select(CheckIn).order_by(CheckIn.id)):
            prompt = checkin.prompt
            when = prompt.meeting.start.astimezone(ZoneInfo(prompt.person.timezone))
            late = "  LATE (after the meeting)" if checkin.late else ""
            say(f"  {prompt.person.name}, for the meeting of {when:%a %d %b %H:%M}{late}")
            answers = [a for a in checkin.answers if a.current]
            for answer in answers:
                say(f"    {answer.question_key:<11} {_clipped(answer.text)}")
            # What answered no question (a free paragraph, a line above the answers), less
            # greetings and sign-offs, as the digest shows it.
            label = "also wrote" if answers else "wrote"
            for note in (r for r in checkin.readings if r.current and r.kind == "note"):
                if shown := note_shown(note, checkin.readings):
                    say(f"    {label:<11} {_clipped(shown)}")
            readings = [
                r for r in checkin.readings if r.current and r.kind in ("progress", "confidence")
            ]
            facts = [_reading_text(r) for r in readings]
            if facts:
                say(f"    {'read as':<11} {', '.join(facts)}")
        chases = session.scalar(
            select(func.count()).select_from(Chase).where(Chase.status == "sent")
        )
        say(f"Reminders sent to people who had not answered: {chases}")
    say()


def _clipped(text: str, width: int = 86) -> str:
    flat = " ".join(text.split())
    return f"{flat[:width]}{'…' if len(flat) > width else ''}"


def _reading_text(reading) -> str:  # type: ignore[no-untyped-def]
    target = f"KR{reading.kr_number}" if reading.kr_number else "overall"
    if reading.kind == "confidence":
        return f"{target} confidence {reading.score}"
    value = format_value(reading.value) if reading.value is not None else reading.status
    return f"{target} = {value}"


def _print_digest(ctx: AppContext, say) -> None:  # type: ignore[no-untyped-def]
    manager = "ana.keller@example.com"
    box = mailbox.Maildir(ctx.settings.data_path(ctx.settings.mail.maildir), create=False)
    digests = []
    for key in box.iterkeys():
        message = message_from_bytes(box.get_bytes(key), policy=policy.default)
        if str(message["Message-ID"]).startswith("<digest-") and manager in str(message["To"]):
            digests.append(message)
    if not digests:
        return
    latest = max(digests, key=lambda message: message["Date"].datetime)
    say()
    say(f"The last digest {manager} received (text part):")
    say("-" * 78)
    say(f"Subject: {latest['Subject']}")
    say(latest.get_body(("plain",)).get_content().rstrip())
    say("-" * 78)


def _print_where(ctx: AppContext, say) -> None:  # type: ignore[no-untyped-def]
    maildir = ctx.settings.data_path(ctx.settings.mail.maildir)
    ics = ctx.settings.data_path(ctx.settings.calendar.ics_dir)
    box = mailbox.Maildir(maildir, create=False)
    first = next(iter(box.keys()), None)
    say(f"Mail: {len(box)} messages in the Maildir {maildir}")
    say(f"  open it with any mail client, e.g.  mutt -f {maildir}")
    if first is not None:
        message = message_from_bytes(box.get_bytes(first), policy=policy.default)
        say(f"  e.g. {message['Subject']!s}")
        say(f"       Reply-To {message['Reply-To']!s}, Message-ID {message['Message-ID']!s}")
    files = len(list(ics.glob("*.ics")))
    say(f"Calendars: {files} .ics files in {ics} (import into any calendar app)")


def main() -> None:
    run()


if __name__ == "__main__":
    main()

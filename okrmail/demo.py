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

from okrmail.app import AppContext
from okrmail.booking import book_all
from okrmail.clock import ManualClock
from okrmail.db import upgrade
from okrmail.imports.okrs import import_okrs
from okrmail.imports.people import import_people
from okrmail.models import Meeting, Prompt, Series
from okrmail.settings import PROJECT_ROOT, Settings, load_settings
from okrmail.tick import tick
from workers.dispatch import InlineDispatcher

DEMO_DIR = PROJECT_ROOT / "demo-data"
EXAMPLES = PROJECT_ROOT / "examples"
STEP = timedelta(minutes=30)
DAYS = 14


def demo_settings(data_dir: Path) -> Settings:
    """The shipped defaults (embedded: SQLite, local calendar, Maildir), in `data_dir`."""
    settings = load_settings(environ={})
    app = settings.app.model_copy(update={"data_dir": data_dir})
    return settings.model_copy(update={"app": app})


def run(data_dir: Path = DEMO_DIR, out=sys.stdout) -> AppContext:  # type: ignore[no-untyped-def]
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    start = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0)
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
    for _ in range(int(timedelta(days=DAYS) / STEP)):
        clock.advance(STEP)
        tick(ctx, dispatcher)
    minutes = int(STEP.total_seconds() // 60)
    say(f"ran the clock forward {DAYS} days, ticking every {minutes} minutes")
    say()
    _print_series(ctx, say)
    _print_prompts(ctx, say)
    _print_where(ctx, say)
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

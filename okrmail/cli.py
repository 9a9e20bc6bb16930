"""The `okrmail` command line."""

from __future__ import annotations

import logging
import sys
import time as wall
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from okrmail.app import AppContext
from okrmail.clock import Clock, ManualClock, SystemClock
from okrmail.db import database_place, schema_problem, upgrade
from okrmail.imports.csvfile import ImportFailed
from okrmail.settings import SettingsError, load_settings


class Failure(click.ClickException):
    """A one-line error and exit status 1; never a traceback."""

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        click.echo(f"okrmail: {self.format_message()}", err=True)


class DatabaseNotReady(Failure):
    """The database is missing, unreachable or on another schema: one line saying what to do."""


def _context(obj: dict[str, object], *, database: bool = True) -> AppContext:
    """The app context for a command; with `database`, one whose database is there and on
    this version's schema (checked once per process)."""
    if "ctx" not in obj:
        try:
            settings = load_settings()
            clock: Clock = SystemClock()
            if obj.get("now"):
                clock = ManualClock(obj["now"])  # type: ignore[arg-type]
            obj["ctx"] = AppContext(settings, clock=clock)
        except SettingsError as error:
            raise Failure(str(error)) from None
    ctx: AppContext = obj["ctx"]  # type: ignore[assignment]
    if database and not obj.get("schema_checked"):
        _check_database(ctx)
        obj["schema_checked"] = True
    return ctx


def _check_database(ctx: AppContext) -> None:
    url = ctx.settings.database_url
    assert ctx.engine is not None
    try:
        problem = schema_problem(ctx.engine, url)
    except SQLAlchemyError as error:
        cause = error.orig if isinstance(error, DBAPIError) else error
        first = (str(cause).strip().splitlines() or [""])[0][:200]
        problem = f"cannot open the database at {database_place(url)}: {first}"
    if problem:
        raise DatabaseNotReady(problem)


def _parse_instant(value: str, timezone: str = "UTC") -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date and time like 2026-12-01T10:00"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return parsed.astimezone(ZoneInfo("UTC"))


@click.group()
@click.option("--now", help="Pretend it is this instant (ISO 8601, UTC unless it has an offset).")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens.")
@click.pass_context
def main(click_ctx: click.Context, now: str | None, verbose: bool) -> None:
    """okrmail: OKR check-ins over email and calendars."""
    handler = logging.StreamHandler()
    handler.setFormatter(_Formatter(tracebacks=verbose))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])
    click_ctx.obj = {"now": _parse_instant(now) if now else None}


class _Formatter(logging.Formatter):
    """One line per record: an error logged with its exception gets the exception's type
    and message, not the traceback (but with --verbose). An MTA shows what a piped
    command wrote to stderr in its bounce or log, a line each."""

    def __init__(self, *, tracebacks: bool) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if self.tracebacks or not record.exc_info:
            return super().format(record)
        error = record.exc_info[1]
        plain = logging.makeLogRecord({**vars(record), "exc_info": None, "exc_text": None})
        line = super().format(plain)
        if error is None:
            return line
        first = (str(error).splitlines() or [""])[0][:300]
        return f"{line} ({type(error).__name__}: {first})"


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: dict[str, object]) -> None:
    """Create or migrate the database to the latest schema."""
    ctx = _context(obj, database=False)
    upgrade(ctx.settings.database_url)
    click.echo("database is up to date")


@main.group()
def people() -> None:
    """People and the org chart."""


@people.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def people_import(obj: dict[str, object], file: Path) -> None:
    """Import the whole organisation from FILE.csv (all or nothing)."""
    from okrmail.imports.people import import_people

    ctx = _context(obj)
    try:
        with ctx.transaction() as session:
            summary = import_people(session, file, ctx.settings.templates_path)
    except ImportFailed as error:
        raise Failure(str(error)) from None
    click.echo(f"people: {summary}")
    for line in summary.details:
        click.echo(f"  {line}")


@main.group()
def okrs() -> None:
    """Objectives and key results."""


@okrs.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def okrs_import(obj: dict[str, object], file: Path) -> None:
    """Import objectives and key results from FILE.csv (all or nothing)."""
    from okrmail.imports.okrs import import_okrs

    ctx = _context(obj)
    try:
        with ctx.transaction() as session:
            summary = import_okrs(session, file)
    except ImportFailed as error:
        raise Failure(str(error)) from None
    click.echo(f"key results: {summary}")


@main.command()
@click.option(
    "--pairing",
    "pairing_id",
    type=int,
    default=None,
    help="Book this pairing only, also when its earlier series was cancelled.",
)
@click.pass_obj
def book(obj: dict[str, object], pairing_id: int | None) -> None:
    """Book a recurring 1-on-1 for every pairing that never had one."""
    from okrmail.booking import BookingError, book_all, book_pairing

    ctx = _context(obj)
    if pairing_id is not None:
        try:
            series = book_pairing(ctx, pairing_id)
        except BookingError as error:
            raise Failure(str(error)) from None
        click.echo(f"pairing #{pairing_id}: series {series.uid} ({series.rrule})")
        return
    booked, problems = book_all(ctx)
    click.echo(f"booked {len(booked)} series")
    for problem in problems:
        click.echo(f"  not booked: {problem}", err=True)
    if problems:
        sys.exit(1)


@main.group()
def meetings() -> None:
    """Upcoming meetings: list, move, cancel."""


@meetings.command("list")
@click.option("--days", default=14, show_default=True)
@click.pass_obj
def meetings_list(obj: dict[str, object], days: int) -> None:
    from okrmail.meetings import upcoming

    ctx = _context(obj)
    with ctx.sessions() as session:
        for meeting in upcoming(session, ctx.now(), days):
            pairing = meeting.series.pairing
            local = meeting.start.astimezone(ZoneInfo(meeting.series.timezone))
            click.echo(
                f"#{meeting.id:<5} {local:%a %Y-%m-%d %H:%M} {meeting.series.timezone:<20} "
                f"{pairing.manager.email} / {pairing.report.email} [{meeting.status}]"
            )


@meetings.command("move")
@click.argument("meeting_id", type=int)
@click.option("--to", "to", required=True, help="New start, e.g. 2026-12-01T14:00")
@click.option("--tz", default=None, help="Zone of --to (default: the series' zone).")
@click.pass_obj
def meetings_move(obj: dict[str, object], meeting_id: int, to: str, tz: str | None) -> None:
    """Move one occurrence; its prompts follow."""
    from okrmail.meetings import MeetingError, move_meeting
    from okrmail.models import Meeting

    ctx = _context(obj)
    with ctx.sessions() as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            raise Failure(f"no meeting #{meeting_id}")
        zone = tz or meeting.series.timezone
    try:
        moved = move_meeting(ctx, meeting_id, _parse_instant(to, zone))
    except MeetingError as error:
        raise Failure(str(error)) from None
    local = moved.start.astimezone(ZoneInfo(zone))
    click.echo(f"meeting #{meeting_id} moved to {local:%Y-%m-%d %H:%M} {zone}")


@meetings.command("cancel")
@click.argument("meeting_id", type=int)
@click.pass_obj
def meetings_cancel(obj: dict[str, object], meeting_id: int) -> None:
    """Cancel one occurrence; its unsent prompts are cancelled."""
    from okrmail.meetings import MeetingError, cancel_meeting

    ctx = _context(obj)
    try:
        cancel_meeting(ctx, meeting_id)
    except MeetingError as error:
        raise Failure(str(error)) from None
    click.echo(f"meeting #{meeting_id} cancelled")


@main.group()
def calendar() -> None:
    """The calendar provider."""


@calendar.command("export")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.pass_obj
def calendar_export(obj: dict[str, object], folder: Path | None) -> None:
    """Write each person's calendar as an .ics file (local provider)."""
    from okrmail.models import Person

    ctx = _context(obj)
    provider = ctx.calendar
    if not hasattr(provider, "export_ics"):
        raise Failure(f"the {provider.name} provider keeps calendars remotely; nothing to export")
    folder = folder or ctx.settings.data_path(ctx.settings.calendar.ics_dir)
    with ctx.sessions() as session:
        emails = session.scalars(select(Person.email).where(Person.active)).all()
    for email in emails:
        provider.export_ics(email, folder / f"{email}.ics")
    click.echo(f"wrote {len(emails)} calendars to {folder}")


@main.command()
@click.pass_obj
def tick(obj: dict[str, object]) -> None:
    """Find due work once and hand it to the dispatcher."""
    from okrmail.tick import tick as run_tick
    from workers.dispatch import make_dispatcher

    ctx = _context(obj)
    click.echo(str(run_tick(ctx, make_dispatcher(ctx))))


@main.command()
@click.pass_obj
def run(obj: dict[str, object]) -> None:
    """Tick every few seconds until stopped (Ctrl-C)."""
    from okrmail.tick import tick as run_tick
    from workers.dispatch import make_dispatcher

    ctx = _context(obj)
    dispatcher = make_dispatcher(ctx)
    interval = ctx.settings.tick.interval_seconds
    click.echo(f"ticking every {interval}s with the {ctx.settings.jobs.dispatcher} dispatcher")
    try:
        while True:
            report = run_tick(ctx, dispatcher)
            if report.dispatched:
                click.echo(f"{ctx.now():%Y-%m-%d %H:%M:%S} {report}")
            wall.sleep(interval)
    except KeyboardInterrupt:
        click.echo("stopped")


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.pass_obj
def worker(obj: dict[str, object], burst: bool) -> None:
    """Run an rq worker that drains the job queue."""
    from workers.dispatch import run_worker

    run_worker(_context(obj), burst=burst)


@main.group()
def settings() -> None:
    """The effective settings."""


@settings.command("check")
@click.pass_obj
def settings_check(obj: dict[str, object]) -> None:
    """Load the settings (file and environment) and print them, secrets masked."""
    ctx = _context(obj, database=False)
    for section, values in ctx.settings.model_dump().items():
        for key, value in values.items():
            shown = (
                "********"
                if value and key in {"password", "secret", "token", "secret_key", "client_secret"}
                else value
            )
            click.echo(f"{section}.{key} = {shown!r}")


from okrmail.cli_accounts import register as _register_accounts  # noqa: E402

_register_accounts(main)


from okrmail.cli_reports import register as _register_reports  # noqa: E402

_register_reports(main)

from okrmail.cli_mail import register_mail_commands  # noqa: E402

register_mail_commands(main)

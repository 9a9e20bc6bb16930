"""Commands for people who read the results: digest previews and check-in exports."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from okrmail.cli import Failure, _context


@click.group()
def digest() -> None:
    """The manager's pre-meeting digest."""


@digest.command("preview")
@click.option("--manager", "manager_email", required=True, help="The manager's email.")
@click.option(
    "--meeting", "meeting_id", type=int, default=None, help="Default: their next meeting."
)
@click.option("--html", is_flag=True, help="Print the HTML part instead of the text.")
@click.pass_obj
def digest_preview(
    obj: dict[str, object], manager_email: str, meeting_id: int | None, html: bool
) -> None:
    """Print the digest the manager would get, without sending anything."""
    from okrmail.digests import preview

    try:
        message = preview(_context(obj), manager_email, meeting_id)
    except LookupError as error:
        raise Failure(str(error)) from None
    part = message.get_body(("html",) if html else ("plain",))
    click.echo(f"Subject: {message['Subject']}\n")
    click.echo(part.get_content() if part is not None else "")


@click.group()
def checkins() -> None:
    """Structured check-ins."""


@checkins.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--since", default=None, help="Only check-ins updated on or after this date (YYYY-MM-DD)."
)
@click.pass_obj
def checkins_export(obj: dict[str, object], fmt: str, since: str | None) -> None:
    """Write every check-in to standard output for analysis elsewhere."""
    from okrmail.export import export_csv, export_json

    start = None
    if since:
        try:
            start = datetime.fromisoformat(since).replace(tzinfo=UTC)
        except ValueError:
            raise Failure(f"--since {since!r} is not a date like 2026-11-01") from None
    ctx = _context(obj)
    with ctx.sessions() as session:
        text = export_csv(session, start) if fmt == "csv" else export_json(session, start)
    click.echo(text, nl=False)


def register(main: click.Group) -> None:
    main.add_command(digest)
    main.add_command(checkins)

"""`okrmail ingest` (an MTA pipe), `okrmail mail trim|classify|explain|fetch` (tools) and
`okrmail mail quarantine|raw|release` (reviewing quarantined mail).

Whatever the input, the tools answer or fail with one line and exit status 1, never a
traceback. `ingest` fails with exit status 75 (EX_TEMPFAIL) instead, so that an MTA piping
mail into it keeps the message and tries again rather than bouncing it to the sender.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from okrmail.cli import DatabaseNotReady, Failure, _context

log = logging.getLogger(__name__)
Command = TypeVar("Command", bound=Callable[..., Any])
EX_TEMPFAIL = 75
MAX_INPUT = 50 * 1024 * 1024  # a larger "message" is not one somebody meant to send


class TryAgain(Failure):
    """A one-line error with EX_TEMPFAIL: the message was not stored; the MTA should retry."""

    exit_code = EX_TEMPFAIL


def one_line_errors(action: str, failure: type[Failure] = Failure) -> Callable[[Command], Command]:
    """Turn any unexpected exception into a one-line `failure` naming `action`."""

    def wrap(command: Command) -> Command:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return command(*args, **kwargs)
            except (click.ClickException, click.exceptions.Exit, click.Abort):
                raise
            except Exception as error:
                log.debug("%s failed", action, exc_info=True)
                detail = (str(error).strip().splitlines() or [""])[0][:300]
                raise failure(f"{action}: {type(error).__name__}: {detail}") from None

        return run  # type: ignore[return-value]

    return wrap


def read_input() -> bytes:
    data = sys.stdin.buffer.read(MAX_INPUT + 1)
    if not data.strip():
        raise Failure("nothing on standard input: pipe a message in, e.g. `< reply.eml`")
    if len(data) > MAX_INPUT:
        raise Failure(f"input larger than {MAX_INPUT // (1024 * 1024)} MB; not an email")
    return data


def read_message_input() -> bytes:
    """Standard input, which must start with a header block like an RFC 5322 message."""
    from okrmail.inbound.ingest import peek_headers

    data = read_input()
    if not peek_headers(data).keys():
        raise Failure(
            "input is not an email message (it has no headers); for a bare body use --body"
        )
    return data


def register_mail_commands(main: click.Group) -> None:
    main.add_command(ingest_command)
    main.add_command(mail)


@click.command("ingest")
@click.option(
    "--source",
    type=click.Choice(["stdin", "smtp"]),
    default="stdin",
    show_default=True,
    help="Where the message came from, as recorded in the Inbox.",
)
@click.pass_obj
@one_line_errors("cannot ingest the message", TryAgain)
def ingest_command(obj: dict[str, object], source: str) -> None:
    """Store one RFC 5322 message from standard input, then process it (for an MTA pipe)."""
    from okrmail.inbound.ingest import ingest

    raw = read_input()
    try:
        ctx = _context(obj)
    except DatabaseNotReady as problem:
        # Kept by the MTA, and tried again, until an admin sets the database up.
        raise TryAgain(f"cannot ingest the message: {problem.message}") from None
    outcome = ingest(ctx, raw, source=source)
    duplicate = " (a copy of a message already received)" if outcome.duplicate else ""
    reason = f": {outcome.reason}" if outcome.reason else ""
    click.echo(f"inbox #{outcome.inbox_id} {outcome.status}{duplicate}{reason}")


@click.group()
def mail() -> None:
    """Inbound mail: fetch now, and tools to look at one message."""


@mail.command("trim")
@click.option("--body", "bare", is_flag=True, help="The input is a bare text body.")
@one_line_errors("cannot trim the input")
def mail_trim(bare: bool) -> None:
    """Print the reply text of a message, its quotes and signature removed."""
    from okrmail.inbound.assess import read
    from okrmail.replies.trim import trim_reply

    if bare:
        text = read_input().decode("utf-8-sig", "replace")
    else:
        text = read(read_message_input())[1].text
    trimmed = trim_reply(text)
    if not trimmed.strip():
        raise Failure("no reply text: nothing is left once quotes and signature are removed")
    click.echo(trimmed)


@mail.command("classify")
@one_line_errors("cannot classify the input")
def mail_classify() -> None:
    """Print reply, auto-reply or bounce (with the failed addresses)."""
    from okrmail.inbound.assess import classify_raw

    classification, _, _ = classify_raw(read_message_input())
    click.echo(classification.describe())


@mail.command("explain")
@click.pass_obj
@one_line_errors("cannot explain the message")
def mail_explain(obj: dict[str, object]) -> None:
    """Show routing, classification and the parsed check-in; stores nothing."""
    from okrmail.inbound.assess import assess
    from okrmail.inbound.directory import Directory
    from okrmail.inbound.explain import describe

    raw = read_message_input()
    ctx = _context(obj)
    with ctx.sessions() as session:
        directory = Directory(session, ctx.settings.mail.reply_address)
        found = assess(directory, raw, ctx.settings, ctx.now())
        lines = describe(found)
        session.rollback()  # assess only reads; make sure nothing is kept regardless
    for line in lines:
        click.echo(line)


@mail.command("fetch")
@click.pass_obj
@one_line_errors("cannot fetch mail")
def mail_fetch(obj: dict[str, object]) -> None:
    """Read the inbound mailbox now (the tick does this every inbound.fetch_interval)."""
    from okrmail.inbound.fetching import run_fetch

    report = run_fetch(_context(obj))
    click.echo(str(report))
    if report.error:
        raise Failure(report.error)


@mail.command("quarantine")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.pass_obj
@one_line_errors("cannot list quarantined mail")
def mail_quarantine(obj: dict[str, object], limit: int) -> None:
    """List quarantined mail, newest first, with why each was quarantined."""
    from okrmail.inbound.quarantine import quarantined

    found = quarantined(_context(obj), limit)
    if not found:
        click.echo("no quarantined mail")
    for item in found:
        subject = f" {item.subject!r}" if item.subject else ""
        click.echo(
            f"inbox #{item.id}  {item.received_at:%Y-%m-%d %H:%M} UTC  "
            f"from {item.sender or '(no sender)'}{subject}"
        )
        click.echo(f"    {item.reason or '(no reason recorded)'}")


@mail.command("raw")
@click.argument("inbox_id", type=int)
@click.pass_obj
@one_line_errors("cannot show the message")
def mail_raw(obj: dict[str, object], inbox_id: int) -> None:
    """Write a stored message's bytes, as received (e.g. into `okrmail mail explain`)."""
    from okrmail.models import InboxMessage

    with _context(obj).sessions() as session:
        row = session.get(InboxMessage, inbox_id)
        if row is None:
            raise Failure(f"inbox #{inbox_id}: no such message")
        sys.stdout.buffer.write(row.raw)
        sys.stdout.buffer.flush()


@mail.command("release")
@click.argument("inbox_ids", type=int, nargs=-1, required=True)
@click.pass_obj
@one_line_errors("cannot release the messages")
def mail_release(obj: dict[str, object], inbox_ids: tuple[int, ...]) -> None:
    """Process quarantined messages again, once the cause is fixed (e.g. an alias added).

    Every check applies as the first time: what still fails stays quarantined.
    """
    from okrmail.inbound.quarantine import release

    released = release(_context(obj), inbox_ids)
    for outcome in released.outcomes:
        reason = f": {outcome.reason}" if outcome.reason else ""
        click.echo(f"inbox #{outcome.inbox_id} {outcome.status}{reason}")
    for inbox_id, why in released.refused.items():
        click.echo(f"inbox #{inbox_id}: {why}")
    if released.refused:
        raise Failure(f"{len(released.refused)} of {len(set(inbox_ids))} not released")

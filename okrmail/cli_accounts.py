"""CLI for calendar accounts and sync: `okrmail accounts …`, `okrmail calendar sync`,
`okrmail calendar hooks`. Wired into the main group by `register(main)`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import click

from okrmail.app import AppContext


def _ctx(obj: dict[str, object]) -> AppContext:
    from okrmail.cli import _context  # late: okrmail.cli imports this module at its end

    return _context(obj)


def _failure(message: str) -> click.ClickException:
    from okrmail.cli import Failure

    return Failure(message)


@click.group("accounts")
def accounts() -> None:
    """Calendar accounts: connect, list, test."""


@accounts.group("add")
def accounts_add() -> None:
    """Connect (or reconnect) a calendar account."""


@accounts_add.command("google")
@click.argument("name")
@click.option(
    "--service-account",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A service-account key (JSON) with domain-wide delegation.",
)
@click.option("--domain", "domains", multiple=True, help="Domain it may act in (repeatable).")
@click.option("--oauth", is_flag=True, help="Connect one person's calendar by signing in.")
@click.option("--email", help="With --oauth: whose calendar (they sign in).")
@click.option("--redirect-url", help="With --oauth: the address the browser ended on.")
@click.pass_obj
def add_google(
    obj: dict[str, object],
    name: str,
    key_file: Path | None,
    domains: tuple[str, ...],
    oauth: bool,
    email: str | None,
    redirect_url: str | None,
) -> None:
    """Connect Google Calendar as NAME: --service-account FILE or --oauth --email ADDRESS.

    Adding an existing NAME again reconnects it (e.g. after its grant was revoked).
    """
    from okrmail.accounts import AccountError, add_service_account, finish_oauth, start_oauth

    if bool(key_file) == oauth:
        raise _failure("give exactly one of --service-account FILE and --oauth")
    ctx = _ctx(obj)
    try:
        if key_file is not None:
            account = add_service_account(ctx, name, key_file, domains)
            scope = ", ".join(account.domains) or "any domain"
            click.echo(f"account {name}: service account {account.email} acting in {scope}")
            click.echo(f"check it with: okrmail accounts test {name} --as someone@your-domain")
            return
        if not email:
            raise _failure("--oauth needs --email: whose calendar is being connected")
        url = start_oauth(ctx, name, email)
        click.echo(f"Have {email} open this address and allow access:\n\n  {url}\n")
        answer = redirect_url or click.prompt(
            "Then paste the address the browser ended on (or finish via the web callback)"
        )
        query = dict(parse_qsl(urlsplit(answer.strip()).query))
        if "error" in query:
            raise _failure(f"Google sign-in was not completed: {query['error']}")
        account = finish_oauth(ctx, query.get("state", ""), query.get("code", ""))
    except AccountError as error:
        raise _failure(str(error)) from None
    click.echo(f"account {name}: connected {account.email}")


@accounts.command("list")
@click.pass_obj
def accounts_list(obj: dict[str, object]) -> None:
    """List calendar accounts and their state."""
    from okrmail.accounts import list_accounts

    for account in list_accounts(_ctx(obj)):
        problem = f"  ({account.broken_reason})" if account.status == "broken" else ""
        click.echo(
            f"{account.name:<20} {account.kind:<16} {account.email:<40} {account.status}{problem}"
        )


@accounts.command("test")
@click.argument("name")
@click.option("--as", "as_user", help="Service accounts: the user to act as.")
@click.pass_obj
def accounts_test(obj: dict[str, object], name: str, as_user: str | None) -> None:
    """Print what account NAME can see."""
    from okrmail.accounts import AccountError, test_account

    try:
        lines = test_account(_ctx(obj), name, as_user)
    except AccountError as error:
        raise _failure(str(error)) from None
    for line in lines:
        click.echo(line)


@click.command("sync")
@click.pass_obj
def calendar_sync(obj: dict[str, object]) -> None:
    """Sync every calendar with series now: moved, cancelled, declined meetings follow."""
    from okrmail.calendar_sync import sync_all

    report = sync_all(_ctx(obj))
    click.echo(str(report))
    for calendar_id, reason in sorted(report.failed.items()):
        click.echo(f"  not synced: {calendar_id}: {reason}", err=True)
    if report.failed:
        sys.exit(1)


@click.command("hooks")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=int)
@click.pass_obj
def calendar_hooks(obj: dict[str, object], host: str, port: int) -> None:
    """Serve push notifications and the OAuth callback (behind a TLS proxy at app.base_url)."""
    from okrmail.webhooks import serve

    server = serve(_ctx(obj), host, port)
    click.echo(f"listening on http://{host}:{port}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")


def register(main: click.Group) -> None:
    """Add `accounts` to the CLI and `sync`/`hooks` to its `calendar` group."""
    main.add_command(accounts)
    calendar: Any = main.commands.get("calendar")
    if not isinstance(calendar, click.Group):
        calendar = click.Group("calendar", help="The calendar provider.")
        main.add_command(calendar)
    calendar.add_command(calendar_sync)
    calendar.add_command(calendar_hooks)

"""Calendar accounts: connect (service account or OAuth), test, mark broken, reconnect.

Credentials are stored encrypted (okrmail.crypto) and handed to the Google connector
through `DatabaseGoogleAccounts`, the connector's account store. When Google says a grant
is revoked (`invalid_grant`), the account is marked broken, the admin is emailed once
(the claim on `admin_notified_at` is a conditional UPDATE, so two workers send one email),
and the connector makes no further call for it until it is reconnected — adding it again
under the same name, which bumps `revision` and clears the broken state.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import timedelta
from email.headerregistry import Address
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectors.calendar import ProviderDeps
from connectors.calendar.google import GoogleCalendar
from connectors.calendar.google_accounts import GoogleAccount
from connectors.calendar.google_errors import GoogleApiError
from connectors.calendar.google_oauth import exchange_code
from connectors.calendar.google_oauth import start as start_sign_in
from okrmail import outbox
from okrmail.app import AppContext
from okrmail.crypto import SecretBox, SecretError
from okrmail.emails import Envelope, build_email, our_address
from okrmail.models import CalendarAccount

log = logging.getLogger(__name__)

SERVICE_ACCOUNT, OAUTH = "service_account", "oauth"
OAUTH_CALLBACK_PATH = "/oauth/google/callback"


class AccountError(Exception):
    """An account cannot be added, found or used; the message says what to do."""


# -- adding and reconnecting -----------------------------------------------------------


def add_service_account(
    ctx: AppContext, name: str, key: dict[str, Any] | Path, domains: Sequence[str] = ()
) -> CalendarAccount:
    """Store a service-account key (domain-wide delegation) under `name`; adding an
    existing name replaces its key and reconnects it."""
    info = _read_key(key)
    secret = _box(ctx).seal(info)
    with ctx.transaction() as session:
        account = _upsert(ctx, session, name, SERVICE_ACCOUNT, info["client_email"], secret)
        account.domains = sorted({domain.strip().lower() for domain in domains if domain.strip()})
    log.info("calendar account %s: service account %s", name, info["client_email"])
    return account


def _read_key(key: dict[str, Any] | Path) -> dict[str, Any]:
    if isinstance(key, Path):
        try:
            key = json.loads(key.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise AccountError(f"cannot read the key file {key}: {error}") from None
    missing = {"type", "client_email", "private_key", "private_key_id"} - set(key)
    if key.get("type") != "service_account" or missing:
        raise AccountError(
            "not a service-account key file (download it as JSON from the Google Cloud "
            f"console){': missing ' + ', '.join(sorted(missing)) if missing else ''}"
        )
    return dict(key)


def start_oauth(ctx: AppContext, name: str, email: str) -> str:
    """Begin connecting `email`'s calendar under `name`: the URL to open in a browser.

    The state and PKCE verifier are kept (encrypted) on the account row until the
    redirect comes back to `finish_oauth`; an account being reconnected keeps working
    (or stays broken) until then.
    """
    settings = ctx.settings
    sign_in = start_sign_in(settings.google, redirect_uri(ctx), login_hint=email)
    box = _box(ctx)
    with ctx.transaction() as session:
        account = session.scalar(select(CalendarAccount).where(CalendarAccount.name == name))
        if account is None:
            account = _upsert(ctx, session, name, OAUTH, email, box.seal({}), status="pending")
        elif account.kind != OAUTH:
            raise AccountError(f"account {name!r} is a {account.kind}, not an OAuth account")
        pending = {**box.open(account.secret), "pending_verifier": sign_in.verifier}
        account.secret = box.seal(pending)
        account.oauth_state = sign_in.state
        account.email = email.lower()
        account.updated_at = ctx.now()
    return sign_in.url


def finish_oauth(ctx: AppContext, state: str, code: str) -> CalendarAccount:
    """Complete a sign-in from its redirect: store the refresh token, check the calendar
    belongs to the expected person, and (re)connect the account."""
    box = _box(ctx)
    with ctx.sessions() as session:
        account = (
            session.scalar(select(CalendarAccount).where(CalendarAccount.oauth_state == state))
            if state
            else None
        )
        if account is None:
            raise AccountError("this sign-in link is unknown or was already used; start again")
        name, email, document = account.name, account.email, box.open(account.secret)
    try:
        reply = exchange_code(
            ctx.settings.google,
            code=code,
            verifier=document.get("pending_verifier", ""),
            redirect_uri=redirect_uri(ctx),
        )
    except GoogleApiError as error:
        raise AccountError(error.message) from None
    # Revision 0 is never stored: the new grant is tried with fresh credentials, not with
    # what the provider cached for the account being reconnected.
    candidate = GoogleAccount(
        name, OAUTH, email, revision=0, secret={"refresh_token": reply["refresh_token"]}
    )
    owner = _primary_calendar(ctx, candidate)
    if owner.lower() != email.lower():
        raise AccountError(f"signed in as {owner}, but this account is for {email}; try again")
    with ctx.transaction() as session:
        account = _upsert(
            ctx, session, name, OAUTH, email, box.seal({"refresh_token": reply["refresh_token"]})
        )
        account.oauth_state = None
    log.info("calendar account %s: OAuth grant for %s", name, email)
    return account


def redirect_uri(ctx: AppContext) -> str:
    settings = ctx.settings
    if settings.google.redirect_uri:
        return settings.google.redirect_uri
    if not settings.app.base_url:
        raise AccountError("set google.redirect_uri or app.base_url for the OAuth redirect")
    return settings.app.base_url.rstrip("/") + OAUTH_CALLBACK_PATH


def _upsert(
    ctx: AppContext,
    session: Session,
    name: str,
    kind: str,
    email: str,
    secret: bytes,
    status: str = "ok",
) -> CalendarAccount:
    """Create the account, or reconnect it: new secret, healthy, revision bumped (so the
    connector drops cached credentials), the admin may be told again if it breaks again."""
    now = ctx.now()
    account = session.scalar(select(CalendarAccount).where(CalendarAccount.name == name))
    if account is None:
        account = CalendarAccount(
            name=name, provider="google", kind=kind, domains=[], revision=0, created_at=now
        )
        session.add(account)
    elif account.kind != kind:
        raise AccountError(f"account {name!r} is a {account.kind}; remove it or pick a new name")
    account.email, account.secret, account.status = email.lower(), secret, status
    account.revision = (account.revision or 0) + 1
    account.broken_reason = account.broken_at = account.admin_notified_at = None
    account.updated_at = now
    session.flush()
    return account


# -- testing ---------------------------------------------------------------------------


def test_account(ctx: AppContext, name: str, as_user: str | None = None) -> list[str]:
    """Lines describing what the account can see (acting as `as_user`, or its user)."""
    with ctx.sessions() as session:
        row = _get(session, name)
    account = DatabaseGoogleAccounts(ctx).as_connector(row)
    if account.kind == SERVICE_ACCOUNT and not as_user:
        raise AccountError("a service account acts as a user: add --as someone@your-domain")
    subject = as_user or account.email
    try:
        calendars = _provider(ctx).visible_calendars(account, subject)
    except GoogleApiError as error:
        raise AccountError(f"account {name!r} acting as {subject}: {error.message}") from None
    lines = [f"account {name} ({account.kind}, {row.status}) acting as {subject} sees:"]
    lines += [
        f"  {item.get('id')}  [{item.get('accessRole', '?')}]"
        f"{'  primary' if item.get('primary') else ''}  {item.get('summary', '')}"
        for item in calendars
    ]
    return lines


def _primary_calendar(ctx: AppContext, account: GoogleAccount) -> str:
    try:
        calendars = _provider(ctx).visible_calendars(account, account.email)
    except GoogleApiError as error:
        raise AccountError(f"the new grant does not work: {error.message}") from None
    return next((str(item["id"]) for item in calendars if item.get("primary")), "")


def _provider(ctx: AppContext) -> GoogleCalendar:
    calendar = ctx.calendar
    return calendar if isinstance(calendar, GoogleCalendar) else GoogleCalendar(google_deps(ctx))


def list_accounts(ctx: AppContext) -> list[CalendarAccount]:
    with ctx.sessions() as session:
        return list(session.scalars(select(CalendarAccount).order_by(CalendarAccount.name)))


def _get(session: Session, name: str) -> CalendarAccount:
    account = session.scalar(select(CalendarAccount).where(CalendarAccount.name == name))
    if account is None:
        raise AccountError(f"no calendar account named {name!r} (see `okrmail accounts list`)")
    return account


# -- breaking ----------------------------------------------------------------------------


def mark_broken(ctx: AppContext, name: str, reason: str, revision: int | None = None) -> bool:
    """Mark the account broken and queue one email to the admin; True if this call queued
    it. A `revision` older than the stored one means the account was reconnected since the
    failure was seen: nothing happens."""
    now = ctx.now()
    with ctx.transaction() as session:
        account = session.scalar(select(CalendarAccount).where(CalendarAccount.name == name))
        if account is None or (revision is not None and account.revision != revision):
            return False
        if account.status != "broken":
            account.status, account.broken_reason = "broken", reason[:1000]
            account.broken_at = account.updated_at = now
        claimed = session.execute(
            update(CalendarAccount)
            .where(CalendarAccount.id == account.id, CalendarAccount.admin_notified_at.is_(None))
            .values(admin_notified_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return False
        _queue_admin_email(ctx, session, account)
    log.error("calendar account %s is broken: %s; the admin was told", name, reason)
    return True


def _queue_admin_email(ctx: AppContext, session: Session, account: CalendarAccount) -> None:
    """Record the email in the Outbox, due at once: the next tick delivers it."""
    settings = ctx.settings
    mail = settings.mail
    admin = settings.app.admin_email or mail.from_address
    reconnect = (
        f"okrmail accounts add google {account.name} --service-account NEW-KEY.json"
        if account.kind == SERVICE_ACCOUNT
        else f"okrmail accounts add google {account.name} --oauth --email {account.email}"
    )
    context = {
        "organisation": settings.app.organisation,
        "account": {
            "name": account.name,
            "email": account.email,
            "provider_label": "Google Calendar",
            "reason": account.broken_reason or "access was revoked",
            "reconnect_command": reconnect,
        },
    }
    envelope = Envelope(
        sender=our_address(mail),
        to=Address(addr_spec=admin),
        message_id=f"<account-broken-{account.id}-r{account.revision}@{mail.message_id_domain}>",
    )
    message = build_email(
        settings.templates_path, "account_broken", context, envelope, date=ctx.now()
    )
    outbox.record(session, message, kind="account_broken", now=ctx.now(), lease=timedelta(0))


# -- the connector's account store -----------------------------------------------------------


class DatabaseGoogleAccounts:
    """The Google connector's GoogleAccountStore: accounts from the database, decrypted
    once per (account, revision); status re-read on every call so a broken or reconnected
    account takes effect at once."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._secrets: dict[tuple[int, int], dict[str, Any]] = {}

    def accounts(self) -> list[GoogleAccount]:
        with self._ctx.sessions() as session:
            rows = session.scalars(
                select(CalendarAccount)
                .where(CalendarAccount.provider == "google")
                .where(CalendarAccount.status.in_(("ok", "broken")))
                .order_by(CalendarAccount.id)
            ).all()
            return [self.as_connector(row) for row in rows]

    def as_connector(self, row: CalendarAccount) -> GoogleAccount:
        broken = (row.broken_reason or "broken") if row.status == "broken" else None
        key = (row.id, row.revision)
        if key not in self._secrets:
            try:
                self._secrets[key] = _box(self._ctx).open(row.secret)
            except (SecretError, AccountError) as error:
                log.error("calendar account %s: %s", row.name, error)
                self._secrets[key], broken = {}, str(error)
        secret = {k: v for k, v in self._secrets[key].items() if k != "pending_verifier"}
        return GoogleAccount(
            name=row.name,
            kind=SERVICE_ACCOUNT if row.kind == SERVICE_ACCOUNT else OAUTH,
            email=row.email,
            revision=row.revision,
            domains=tuple(row.domains or ()),
            secret=secret,
            broken_reason=broken,
        )

    def mark_broken(self, account: GoogleAccount, reason: str) -> None:
        mark_broken(self._ctx, account.name, reason, revision=account.revision)


def google_deps(ctx: AppContext) -> ProviderDeps:
    """What the Google provider is built from: its settings, the account store, the clock."""
    return ProviderDeps(
        config=ctx.settings.google,
        session_factory=ctx.sessions,
        clock=ctx.clock,
        extra={"accounts": DatabaseGoogleAccounts(ctx)},
    )


def _box(ctx: AppContext) -> SecretBox:
    try:
        return SecretBox.from_settings(ctx.settings)
    except SecretError as error:
        raise AccountError(str(error)) from None

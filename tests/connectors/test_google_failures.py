"""Failure: rate limits and 5xx retried with bounded backoff, revoked grants, OAuth sign-in."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import delete, select

from okrmail import outbox
from okrmail.accounts import AccountError, add_service_account, finish_oauth, start_oauth
from okrmail.app import AppContext
from okrmail.booking import book_all
from okrmail.calendar_sync import sync_all, sync_due
from okrmail.crypto import SecretBox
from okrmail.models import CalendarAccount, OutboxMessage
from okrmail.webhooks import make_app
from tests.fakes.google_fixtures import *  # noqa: F403  (fixtures: ctx, fake_google, ...)
from tests.fakes.google_fixtures import SA_EMAIL, TWO_ZONE_ORG, import_org
from tests.fakes.google_server import FakeGoogle, Faults, new_service_account


def _account(ctx: AppContext, name: str) -> CalendarAccount:
    with ctx.sessions() as session:
        return session.scalars(select(CalendarAccount).where(CalendarAccount.name == name)).one()


def _admin_emails(ctx: AppContext) -> list[OutboxMessage]:
    with ctx.sessions() as session:
        return list(
            session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "account_broken"))
        )


def test_rate_limits_are_retried_with_bounded_exponential_backoff(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path, sleeps: list[float]
) -> None:
    import_org(ctx, tmp_path)
    book_all(ctx)
    sleeps.clear()
    for kind in ("429", "403rate", "403user", "500"):
        fake_google.faults.add_once(kind, "GET", "/events")
    report = sync_all(ctx)
    assert not report.failed and report.calendars == 4
    assert sum(fake_google.stats.faults.values()) == 4
    assert len(sleeps) == 4
    assert all(0 <= wait <= 2**attempt for attempt, wait in enumerate(sleeps)), sleeps


def test_a_server_that_keeps_failing_neither_crashes_nor_spins(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path, sleeps: list[float]
) -> None:
    import_org(ctx, tmp_path)
    book_all(ctx)
    fake_google.faults = Faults(rate=1.0, kinds=("503",))
    fake_google.stats.reset()
    sleeps.clear()
    report = sync_all(ctx)
    assert set(report.failed) == {f"{m}@example.com" for m in ("anna", "bert", "nina", "owen")}
    assert all("still failing after 7 tries" in reason for reason in report.failed.values())
    assert len(fake_google.stats.calls) == 4 * 7, "max_retries=6: seven tries per calendar"
    assert len(sleeps) == 4 * 6 and max(sleeps) <= 64
    fake_google.stats.reset()
    assert sync_due(ctx).calendars == 0, "a failed calendar waits for its next interval"
    assert fake_google.stats.calls == []


def test_a_revoked_grant_breaks_the_account_emails_once_and_stops_calls(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    import_org(ctx, tmp_path)
    book_all(ctx)
    fake_google.revoke(SA_EMAIL)
    fake_google.stats.reset()

    report = sync_all(ctx)
    assert len(report.failed) == 4
    account = _account(ctx, "workspace")
    assert account.status == "broken" and "invalid_grant" in str(account.broken_reason)
    assert fake_google.stats.round_trips["token"] == 1, "one refresh attempt, then no more"
    emails = _admin_emails(ctx)
    assert len(emails) == 1 and emails[0].recipient == "it-admin@example.com"
    assert "workspace" in emails[0].subject
    assert b"okrmail accounts add google workspace --service-account" in emails[0].raw

    fake_google.stats.reset()
    assert len(sync_all(ctx).failed) == 4
    import_org(
        ctx,
        tmp_path,
        [
            *TWO_ZONE_ORG,
            "zed@example.com,Zed,anna@example.com,Europe/Berlin,09:00-17:00,Mon-Fri,weekly,",
        ],
    )
    booked, problems = book_all(ctx)
    assert booked == [] and problems and "broken" in problems[0]
    assert fake_google.stats.round_trips == {}, "a broken account makes no calls at all"
    assert len(_admin_emails(ctx)) == 1, "the admin is told once"

    ctx.settings.app.data_dir.mkdir(parents=True, exist_ok=True)
    assert outbox.deliver(ctx, [emails[0].id]) == 1
    maildir = ctx.settings.data_path(ctx.settings.mail.maildir) / "new"
    assert len(list(maildir.iterdir())) == 1, "the admin email was delivered"
    info, public = new_service_account(SA_EMAIL)  # the admin makes a new key ...
    fake_google.register_service_account(SA_EMAIL, public, info["private_key_id"])
    add_service_account(ctx, "workspace", info, domains=["example.com"])  # ... and reconnects
    account = _account(ctx, "workspace")
    assert (account.status, account.revision, account.admin_notified_at) == ("ok", 2, None)
    assert not sync_all(ctx).failed
    booked, problems = book_all(ctx)
    assert len(booked) == 1 and not problems
    assert info["private_key"].splitlines()[1] not in caplog.text


def test_oauth_sign_in_with_state_and_pkce(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Nina connects her own calendar; bookings then act with her refresh token; when she
    revokes it, her account breaks and the admin hears about it once."""
    caplog.set_level(logging.DEBUG)
    with ctx.transaction() as session:
        session.execute(delete(CalendarAccount))  # no service account: OAuth only
    fake_google.oauth_user = "nina@example.com"
    url = start_oauth(ctx, "nina", "nina@example.com")
    query = dict(parse_qsl(urlsplit(url).query))
    assert url.startswith(fake_google.auth_uri)
    assert query["code_challenge_method"] == "S256" and query["state"] and query["code_challenge"]
    assert _account(ctx, "nina").status == "pending"

    location = _redirect_of(url)
    callback = dict(parse_qsl(urlsplit(location).query))
    assert callback["state"] == query["state"]
    status, text = _call_app(ctx, "/oauth/google/callback", urlsplit(location).query)
    assert (status, text) == (200, "Connected nina@example.com. You can close this page.")
    account = _account(ctx, "nina")
    assert (account.kind, account.status, account.oauth_state) == ("oauth", "ok", None)
    refresh_token = SecretBox(ctx.settings.security.secret_key).open(account.secret)[
        "refresh_token"
    ]
    assert refresh_token.encode() not in account.secret, "stored encrypted"
    with pytest.raises(AccountError, match="already used"):
        finish_oauth(ctx, callback["state"], callback["code"])

    import_org(ctx, tmp_path, [TWO_ZONE_ORG[2], *TWO_ZONE_ORG[10:13]])
    booked, problems = book_all(ctx)
    assert len(booked) == 3 and not problems
    assert {e["organizer"]["email"] for e in fake_google.store.all_series()} == {"nina@example.com"}

    fake_google.revoke("nina@example.com")
    assert len(sync_all(ctx).failed) == 1
    assert _account(ctx, "nina").status == "broken"
    assert len(sync_all(ctx).failed) == 1
    assert len(_admin_emails(ctx)) == 1
    assert b"--oauth --email nina@example.com" in _admin_emails(ctx)[0].raw

    broken_revision = _account(ctx, "nina").revision
    reconnect = _redirect_of(start_oauth(ctx, "nina", "nina@example.com"))
    assert _call_app(ctx, "/oauth/google/callback", urlsplit(reconnect).query)[0] == 200
    account = _account(ctx, "nina")
    assert (account.status, account.revision) == ("ok", broken_revision + 1)
    assert not sync_all(ctx).failed, "the reconnected grant works at once"
    assert refresh_token not in caplog.text


def _redirect_of(url: str) -> str:
    """Open the consent page without following the redirect; where it sends the browser."""

    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(Stop).open(url, timeout=5)
    assert redirect.value.code == 302
    return str(redirect.value.headers["Location"])


def _call_app(ctx: AppContext, path: str, query: str) -> tuple[int, str]:
    replies: list[str] = []
    body = make_app(ctx)(
        {"PATH_INFO": path, "REQUEST_METHOD": "GET", "QUERY_STRING": query},
        lambda status, headers: replies.append(status),
    )
    return int(replies[0].split()[0]), b"".join(body).decode()


def test_a_bad_key_file_is_refused(ctx: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "not-a-key.json"
    path.write_text(json.dumps({"type": "authorized_user"}))
    with pytest.raises(AccountError, match="not a service-account key"):
        add_service_account(ctx, "bad", path)

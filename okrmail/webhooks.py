"""Push notifications: a tiny WSGI app for Google's calls, and channel renewal.

Where the deployment has a public URL (`app.base_url`) and `google.push` is on, each
calendar with series gets an events.watch channel posting to `NOTIFY_PATH`. A
notification only flags the calendar (`sync_requested_at`); the tick's `sync_due` does the
work, so the route answers at once and a lost notification costs a delay, not a change
(the tick still polls now and then). `renew_channels` opens a fresh channel before the old
one expires, then closes the old one — new first, so no change falls in a gap.

The same app serves the OAuth redirect (`/oauth/google/callback`) that completes
`okrmail accounts add google NAME --oauth`.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from wsgiref.simple_server import WSGIServer, make_server

from sqlalchemy import select

from connectors.errors import ConnectorError
from okrmail.accounts import OAUTH_CALLBACK_PATH, AccountError, finish_oauth
from okrmail.app import AppContext
from okrmail.calendar_sync import calendars_with_series, sync_state
from okrmail.models import CalendarSyncState

log = logging.getLogger(__name__)

NOTIFY_PATH = "/hooks/google/calendar"
CHANGED_STATES = {"exists", "not_exists"}  # "sync" only announces a new channel

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def notify_address(ctx: AppContext) -> str | None:
    """Where Google should post, or None when push is off or there is no public URL.

    Google only posts to https; plain http is accepted on loopback, for tests.
    """
    base = ctx.settings.app.base_url.rstrip("/")
    parsed = urlsplit(base)
    usable = parsed.scheme == "https" or (
        parsed.scheme == "http" and parsed.hostname in {"127.0.0.1", "localhost"}
    )
    if not ctx.settings.google.push or not usable:
        return None
    return base + NOTIFY_PATH


def handle_notification(ctx: AppContext, headers: dict[str, str]) -> int:
    """Flag the channel's calendar for a sync; the HTTP status to answer with."""
    channel_id = headers.get("x-goog-channel-id", "")
    with ctx.transaction() as session:
        state = (
            session.scalar(
                select(CalendarSyncState).where(CalendarSyncState.channel_id == channel_id)
            )
            if channel_id
            else None
        )
        if state is None or state.resource_id != headers.get("x-goog-resource-id"):
            log.info("notification for unknown channel %r ignored", channel_id)
            return 200  # a channel we already replaced: nothing to do, no retries wanted
        if not hmac.compare_digest(
            (state.channel_token or "").encode(), headers.get("x-goog-channel-token", "").encode()
        ):
            log.warning("notification for channel %s with a wrong token refused", channel_id)
            return 403
        if headers.get("x-goog-resource-state") in CHANGED_STATES:
            state.sync_requested_at = ctx.now()
    return 200


def make_app(ctx: AppContext) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI app: POST NOTIFY_PATH and GET OAUTH_CALLBACK_PATH; 404 elsewhere."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == NOTIFY_PATH and method == "POST":
            headers = {
                key[5:].replace("_", "-").lower(): value
                for key, value in environ.items()
                if key.startswith("HTTP_")
            }
            return _reply(start_response, handle_notification(ctx, headers), "")
        if path == OAUTH_CALLBACK_PATH and method == "GET":
            return _oauth_callback(
                ctx, dict(parse_qsl(environ.get("QUERY_STRING", ""))), start_response
            )
        return _reply(start_response, 404, "not found")

    return app


def _oauth_callback(
    ctx: AppContext, query: dict[str, str], start_response: StartResponse
) -> Iterable[bytes]:
    if "error" in query:
        return _reply(start_response, 400, f"Google sign-in was not completed: {query['error']}")
    try:
        account = finish_oauth(ctx, query.get("state", ""), query.get("code", ""))
    except AccountError as error:
        return _reply(start_response, 400, str(error))
    return _reply(start_response, 200, f"Connected {account.email}. You can close this page.")


def _reply(start_response: StartResponse, status: int, text: str) -> list[bytes]:
    phrases = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}
    body = text.encode("utf-8")
    start_response(
        f"{status} {phrases.get(status, 'Error')}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def serve(ctx: AppContext, host: str, port: int) -> WSGIServer:
    """A stdlib server for the app (put a TLS proxy in front of it in production)."""
    return make_server(host, port, make_app(ctx))


@dataclass
class ChannelReport:
    opened: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def renew_channels(ctx: AppContext) -> ChannelReport:
    """Open a channel for each calendar with series that has none, or whose channel expires
    within `google.renew_before_hours`; close the channel it replaces. Safe to run often."""
    report = ChannelReport()
    address = notify_address(ctx)
    provider = ctx.calendar
    watch = getattr(provider, "watch", None)
    if address is None or watch is None:
        return report
    google = ctx.settings.google
    horizon = ctx.now() + timedelta(hours=google.renew_before_hours)
    for calendar_id in calendars_with_series(ctx):
        with ctx.sessions() as session:
            state = sync_state(session, ctx.settings.calendar.provider, calendar_id)
            expires, old = state.channel_expires_at, (state.channel_id, state.resource_id)
            session.commit()
        if expires is not None and expires > horizon:
            continue
        channel_id, token = secrets.token_hex(16), secrets.token_urlsafe(32)
        try:
            channel = watch(
                calendar_id, channel_id, address, token, int(google.channel_ttl_hours * 3600)
            )
        except ConnectorError as error:
            log.warning("calendar %s: cannot open a push channel: %s", calendar_id, error.message)
            report.failed[calendar_id] = error.message
            continue
        with ctx.transaction() as session:
            state = sync_state(session, ctx.settings.calendar.provider, calendar_id)
            state.channel_id, state.channel_token = channel.channel_id, token
            state.resource_id = channel.resource_id
            state.channel_expires_at = channel.expires_at or ctx.now() + timedelta(
                hours=google.channel_ttl_hours
            )
        report.opened.append(calendar_id)
        _close(provider, calendar_id, *old)
    return report


def _close(
    provider: Any, calendar_id: str, channel_id: str | None, resource_id: str | None
) -> None:
    """Best effort: an old channel left open just expires on its own."""
    if not channel_id or not resource_id:
        return
    try:
        provider.stop_channel(calendar_id, channel_id, resource_id)
    except ConnectorError as error:
        log.info("old channel %s of %s not closed: %s", channel_id, calendar_id, error.message)

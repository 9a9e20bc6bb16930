"""The jobs the tick hands out. Each takes ids, re-reads the rows and is safe to run twice.

Under rq a job runs in a worker process that builds its own AppContext from the settings
(environment included) the first time it needs one.
"""

from __future__ import annotations

from collections.abc import Callable

from okrmail import outbox
from okrmail.app import AppContext
from okrmail.booking import expand_series
from okrmail.calendar_sync import sync_pass
from okrmail.chasing import send_chases
from okrmail.digests import send_digests
from okrmail.inbound.fetching import fetch_mail
from okrmail.inbound.quarantine import report_quarantine
from okrmail.meetings import push_meetings
from okrmail.models import Series
from okrmail.prompting import send_prompts
from okrmail.settings import load_settings

_context: AppContext | None = None


def configure(ctx: AppContext | None) -> None:
    """Use `ctx` for jobs run in this process (tests, the inline dispatcher, workers)."""
    global _context
    _context = ctx


def context() -> AppContext:
    global _context
    if _context is None:
        _context = AppContext(load_settings())
    return _context


def extend_series(ctx: AppContext, ids: list[int]) -> None:
    for series_id in ids:
        with ctx.transaction() as session:
            series = session.get(Series, series_id)
            if series is not None:
                expand_series(ctx, session, series)


def _send_prompts(ctx: AppContext, ids: list[int]) -> None:
    send_prompts(ctx, ids)


def _deliver_outbox(ctx: AppContext, ids: list[int]) -> None:
    outbox.deliver(ctx, ids)


def _push_meetings(ctx: AppContext, ids: list[int]) -> None:
    push_meetings(ctx, ids)


def _send_chases(ctx: AppContext, ids: list[int]) -> None:
    send_chases(ctx, ids)


def _send_digests(ctx: AppContext, ids: list[int]) -> None:
    send_digests(ctx, ids)


JOBS: dict[str, Callable[[AppContext, list[int]], None]] = {
    "send_chases": _send_chases,
    "send_digests": _send_digests,
    "extend_series": extend_series,
    "send_prompts": _send_prompts,
    "deliver_outbox": _deliver_outbox,
    "push_meetings": _push_meetings,
    "fetch_mail": fetch_mail,
    "sync_calendars": sync_pass,
    "report_quarantine": report_quarantine,
}


def run_job(name: str, ids: list[int]) -> None:
    """The entry point rq calls: look the job up by name and run it on this process's context."""
    JOBS[name](context(), ids)

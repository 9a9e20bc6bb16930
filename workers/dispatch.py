"""Dispatchers: inline (run now, in this process) and rq (enqueue on Redis)."""

from __future__ import annotations

import gc
import logging

from okrmail.app import AppContext
from okrmail.tick import Dispatcher
from workers import jobs
from workers.jobs import JOBS, run_job

log = logging.getLogger(__name__)


class InlineDispatcher:
    """The embedded default: each job runs at once; a failing job is logged, and its rows
    stay claimed until the lease expires, when a later tick hands them out again."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def dispatch(self, job: str, ids: list[int]) -> None:
        try:
            JOBS[job](self.ctx, ids)
        except Exception:  # one bad job must not stop the tick; the lease brings it back
            log.exception("job %s failed for %s", job, ids)


class RqDispatcher:
    """Enqueue on a Redis-backed rq queue; `okrmail worker` processes drain it."""

    def __init__(self, redis_url: str, queue_name: str) -> None:
        from redis import Redis
        from rq import Queue

        self.queue = Queue(queue_name, connection=Redis.from_url(redis_url))

    def dispatch(self, job: str, ids: list[int]) -> None:
        if job not in JOBS:
            raise KeyError(f"unknown job {job!r}")
        self.queue.enqueue(run_job, job, ids, job_timeout=600, failure_ttl=7 * 24 * 3600)


def make_dispatcher(ctx: AppContext) -> Dispatcher:
    jobs = ctx.settings.jobs
    if jobs.dispatcher == "rq":
        return RqDispatcher(jobs.redis_url, jobs.queue)
    return InlineDispatcher(ctx)


def run_worker(ctx: AppContext, *, burst: bool = False) -> None:
    """An rq worker on this process's context; with burst, it stops once the queue is empty."""
    from redis import Redis
    from rq import Worker

    jobs.configure(ctx)
    settings = ctx.settings.jobs
    # rq forks a work horse per job. What this process holds by now (modules, settings,
    # compiled regexes and statements) lives as long as it does: frozen, the collector in
    # each horse neither scans it (a full collection took ~4 ms per ingest batch) nor
    # writes to its pages, which the fork would otherwise have to copy.
    gc.freeze()
    Worker([settings.queue], connection=Redis.from_url(settings.redis_url)).work(burst=burst)

import mailbox
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from okrmail.app import AppContext
from okrmail.booking import book_all
from okrmail.clock import ManualClock
from okrmail.models import KeyResult, OutboxMessage, Prompt
from okrmail.prompting import REPLY_MARKER, amount, key_result_progress, send_prompts, send_time
from okrmail.settings import PromptSettings
from okrmail.tick import tick
from tests.conftest import make_settings
from workers.dispatch import InlineDispatcher

BERLIN = ZoneInfo("Europe/Berlin")


def person(zone: str = "Europe/Berlin", days: list[int] | None = None):  # type: ignore[no-untyped-def]
    from datetime import time

    return SimpleNamespace(
        timezone=zone, work_days=days or [1, 2, 3, 4, 5], work_start=time(9), work_end=time(17)
    )


def at(text: str, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


RULES = PromptSettings()
EARLY = at("2026-11-01T00:00")


def test_prompt_goes_a_lead_time_before_inside_working_hours() -> None:
    assert send_time(at("2026-11-19T15:00"), person(), RULES, EARLY) == at("2026-11-18T15:00")


def test_lead_time_at_night_moves_to_the_end_of_the_working_day_before() -> None:
    assert send_time(at("2026-11-19T07:00"), person(), RULES, EARLY) == at("2026-11-17T17:00")


def test_no_prompt_on_the_weekend_for_a_monday_meeting() -> None:
    assert send_time(at("2026-11-23T10:00"), person(), RULES, EARLY) == at("2026-11-20T17:00")


def test_the_recipients_own_zone_decides() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    sent = send_time(at("2026-11-19T10:00"), person("Asia/Tokyo"), RULES, EARLY)
    assert sent.astimezone(tokyo) == datetime(2026, 11, 18, 17, 0, tzinfo=tokyo)


def test_never_in_the_past_and_never_after_the_meeting() -> None:
    now = at("2026-11-19T08:30")
    sent = send_time(at("2026-11-19T10:00"), person(), RULES, now)
    assert now <= sent < at("2026-11-19T10:00")


def sent_messages(ctx: AppContext, kind: str = "prompt") -> list[EmailMessage]:
    """The messages of one kind (prompt, chase, digest) in the Maildir."""
    box = mailbox.Maildir(ctx.settings.data_path(ctx.settings.mail.maildir), create=True)
    messages = [
        message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.iterkeys()
    ]
    return [m for m in messages if str(m["Message-ID"]).startswith(f"<{kind}-")]  # type: ignore[misc]


def run_days(
    ctx: AppContext, clock: ManualClock, days: int, step: timedelta = timedelta(hours=1)
) -> None:
    dispatcher = InlineDispatcher(ctx)
    end = clock.now() + timedelta(days=days)
    while clock.now() < end:
        clock.advance(step)
        tick(ctx, dispatcher)


def test_due_prompts_land_in_the_maildir_once_each(org: AppContext, clock: ManualClock) -> None:
    book_all(org)
    run_days(org, clock, 8)
    messages = sent_messages(org)
    with org.sessions() as session:
        sent = session.scalars(select(Prompt).where(Prompt.status == "sent")).all()
        due_meetings = {
            p.meeting_id
            for p in session.scalars(select(Prompt).where(Prompt.send_at <= clock.now()))
        }
        assert {p.meeting_id for p in sent} == due_meetings
        tokens = {p.token: (p.message_id, p.person.email) for p in sent}
        assert len(messages) == len(sent) > 0
    for message in messages:
        assert message.is_multipart() and message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        token = str(message["Reply-To"]).split("+", 1)[1].split("@")[0]
        message_id, email = tokens[token]
        assert message["Message-ID"] == message_id
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["X-Auto-Response-Suppress"] == "All"
        assert email in str(message["To"])
        assert REPLY_MARKER in text and REPLY_MARKER in html
        assert "1. " in text and "<ol" in html and 'style="' in html  # numbered, CSS inlined
    lena = next(m for m in messages if "lena.vogel" in str(m["To"]))
    body = lena.get_body(("plain",)).get_content()
    assert "KR1. Cut time-to-first-value to 2 days" in body
    assert "no update yet (start 31, target 50 points)" in body
    # A percentage unit sits on its number, as people write it; other units after a space.
    priya = next(m for m in messages if "priya.nair" in str(m["To"]))
    assert "no update yet (start 99.5, target 99.95%)" in priya.get_body(("plain",)).get_content()


def test_a_send_job_run_twice_sends_once(org: AppContext, clock: ManualClock) -> None:
    book_all(org)
    with org.sessions() as session:
        first = session.scalars(select(Prompt).order_by(Prompt.send_at)).first()
        ids = [first.id]
    clock.set(first.send_at)
    assert send_prompts(org, ids) == 1
    assert send_prompts(org, ids) == 0
    assert len(sent_messages(org)) == 1
    with org.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_lost_job_is_handed_out_again_after_its_lease(
    org: AppContext, clock: ManualClock
) -> None:
    class LosingDispatcher:
        def dispatch(self, job: str, ids: list[int]) -> None:
            pass  # the queue lost it

    book_all(org)
    with org.sessions() as session:
        first = session.scalars(select(Prompt).order_by(Prompt.send_at)).first()
    clock.set(first.send_at)
    assert tick(org, LosingDispatcher()).dispatched.get("send_prompts")
    assert "send_prompts" not in tick(org, LosingDispatcher()).dispatched  # still leased
    clock.advance(timedelta(seconds=org.settings.tick.claim_lease_seconds + 1))
    assert tick(org, InlineDispatcher(org)).dispatched.get("send_prompts")
    assert len(sent_messages(org)) >= 1


def test_prompts_of_a_cancelled_meeting_are_never_sent(org: AppContext, clock: ManualClock) -> None:
    from okrmail.meetings import cancel_meeting

    book_all(org)
    with org.sessions() as session:
        prompt = session.scalars(select(Prompt).order_by(Prompt.send_at)).first()
    cancel_meeting(org, prompt.meeting_id)
    clock.set(prompt.send_at + timedelta(minutes=1))
    tick(org, InlineDispatcher(org))
    assert all(prompt.token not in str(m["Reply-To"]) for m in sent_messages(org))


def smtp_context(ctx: AppContext, host: str, port: int) -> AppContext:
    settings = make_settings(
        ctx.settings.app.data_dir,
        ctx.settings.database.url,
        mail={"outbound": "smtp"},
        smtp={"host": host, "port": port, "security": "none"},
    )
    return AppContext(settings, clock=ctx.clock, engine=ctx.engine)


def test_prompts_over_real_smtp_share_one_connection(
    org: AppContext, clock: ManualClock, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    host, port, received = smtp_server
    ctx = smtp_context(org, host, port)
    book_all(ctx)
    with ctx.sessions() as session:
        prompts = session.scalars(select(Prompt).order_by(Prompt.send_at)).all()[:5]
        ids = [p.id for p in prompts]
    clock.set(max(p.send_at for p in prompts))
    assert send_prompts(ctx, ids) == 5
    assert received.sessions == 1
    assert len(received.messages) == 5
    with ctx.sessions() as session:
        expected = {
            p.message_id: p.person.email
            for p in session.scalars(select(Prompt).where(Prompt.id.in_(ids)))
        }
    for sender, recipients, raw in received.messages:
        message = message_from_bytes(raw, policy=policy.default)
        assert sender == "checkins@example.com"
        assert recipients == [expected[str(message["Message-ID"])]]
        assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None


def test_smtp_failures_are_retried_with_backoff_then_reported(
    org: AppContext, clock: ManualClock, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    host, port, received = smtp_server
    ctx = smtp_context(org, host, port)
    book_all(ctx)
    with ctx.sessions() as session:
        first, second = session.scalars(select(Prompt).order_by(Prompt.send_at)).all()[:2]
    clock.set(max(first.send_at, second.send_at))
    received.reject_next = ["451 4.3.0 try again later", "550 5.1.1 mailbox unknown"]
    assert send_prompts(ctx, [first.id, second.id]) == 0
    with ctx.sessions() as session:
        rows = {row.prompt_id: row for row in session.scalars(select(OutboxMessage))}
    transient, permanent = rows[first.id], rows[second.id]
    assert (transient.status, transient.attempts) == ("queued", 1)
    assert transient.next_attempt_at > clock.now() and "451" in transient.last_error
    assert permanent.status == "failed" and "550" in permanent.last_error
    clock.set(transient.next_attempt_at)
    report = tick(ctx, InlineDispatcher(ctx))
    assert report.dispatched.get("deliver_outbox") == 1
    assert len(received.messages) == 1
    with ctx.sessions() as session:
        assert session.get_one(OutboxMessage, transient.id).status == "sent"


@pytest.mark.redis
def test_rq_on_redis_sends_the_same_emails_as_inline(
    org: AppContext, clock: ManualClock, redis_url: str
) -> None:
    import uuid

    from redis import Redis
    from rq import Queue, SimpleWorker

    from workers import jobs
    from workers.dispatch import RqDispatcher

    book_all(org)
    queue_name = f"okrmail-test-{uuid.uuid4().hex[:8]}"
    dispatcher = RqDispatcher(redis_url, queue_name)
    jobs.configure(org)
    connection = Redis.from_url(redis_url)
    try:
        end = clock.now() + timedelta(days=8)
        while clock.now() < end:
            clock.advance(timedelta(hours=1))
            tick(org, dispatcher)
            # Run every job twice: a worker drains the queue, then the same jobs run again.
            queue = Queue(queue_name, connection=connection)
            pending = [queue.fetch_job(job_id) for job_id in queue.job_ids]
            SimpleWorker([queue], connection=connection).work(burst=True)
            for job in pending:
                if job is not None:
                    job.func(*job.args)
    finally:
        jobs.configure(None)
        Queue(queue_name, connection=connection).delete(delete_jobs=True)
    with org.sessions() as session:
        sent = session.scalars(select(Prompt).where(Prompt.status == "sent")).all()
        due = {
            p.meeting_id
            for p in session.scalars(select(Prompt).where(Prompt.send_at <= clock.now()))
        }
    messages = sent_messages(org)
    assert {p.meeting_id for p in sent} == due
    assert len(messages) == len(sent) == len({str(m["Message-ID"]) for m in messages})


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        ("1", "days", "1 day"),
        ("-1", "days", "-1 day"),
        ("2", "days", "2 days"),
        ("1.0", "stories", "1 story"),
        ("1", "minutes", "1 minute"),
        ("1", "statuses", "1 status"),
        ("1", "boxes", "1 box"),
        ("1", "quizzes", "1 quiz"),
        ("1", "errors per 1k requests", "1 error per 1k requests"),
        ("1", "% of customers", "1 % of customers"),
        ("1", "NPS points", "1 NPS points"),
        ("1", "GBP", "1 GBP"),
        ("1", "bps", "1 bps"),
        ("1", "status", "1 status"),
        ("1", "%", "1%"),
        ("1200000", "GBP", "1,200,000 GBP"),
        ("2025", "", "2025"),
        ("12500.50", "EUR", "12,500.5 EUR"),
        ("99.50", "%", "99.5%"),
        ("0", "", "0"),
    ],
)
def test_a_value_reads_with_its_unit_in_the_digest(value: str, unit: str, shown: str) -> None:
    assert amount(Decimal(value), unit) == shown


def test_the_digest_writes_every_key_result_value_with_its_unit() -> None:
    def result(start: str, current: str | None, target: str, unit: str) -> KeyResult:
        return KeyResult(
            title="KR",
            start_value=Decimal(start),
            current_value=None if current is None else Decimal(current),
            target_value=Decimal(target),
            unit=unit,
        )

    revenue = result("0", "310000", "1200000", "GBP")
    assert key_result_progress(revenue, for_digest=True) == "310,000 of 1,200,000 GBP (26%)"
    # The prompt keeps the form the reply reader recognises when it comes back quoted.
    assert key_result_progress(revenue) == "310000 of 1200000 GBP (26%)"
    uptime = result("99.5", None, "99.95", "%")
    assert (
        key_result_progress(uptime, for_digest=True) == "no update yet (start 99.5%, target 99.95%)"
    )
    onboarding = result("4", "1", "1", "days")
    assert (
        key_result_progress(onboarding, for_digest=True)
        == "1 day (100% of the way from 4 to 1 day)"
    )


@pytest.mark.parametrize(
    ("start", "current", "target", "unit", "shown"),
    [
        # A count from zero: the share of the target is the share of the way.
        ("0", "14", "40", "deals", "14 of 40 deals (35%)"),
        # From another start, "41 of 50 points (53%)" read as a sum gone wrong.
        ("31", "41", "50", "points", "41 points (53% of the way from 31 to 50 points)"),
        ("99.5", "99.93", "99.95", "%", "99.93% (96% of the way from 99.5 to 99.95%)"),
        ("7", "4", "2", "days", "4 days (60% of the way from 7 to 2 days)"),
        # A percentage of the whole: "80 of 100% (80%)" said it three times.
        ("0", "80", "100", "%", "80% (target 100%)"),
        ("0", "30", "60", "%", "30% (50% of the way from 0 to 60%)"),
    ],
)
def test_a_key_result_says_how_far_it_has_come_from_its_start(
    start: str, current: str, target: str, unit: str, shown: str
) -> None:
    result = KeyResult(
        title="KR",
        start_value=Decimal(start),
        current_value=Decimal(current),
        target_value=Decimal(target),
        unit=unit,
    )
    assert key_result_progress(result) == shown
    assert key_result_progress(result, for_digest=True) == shown

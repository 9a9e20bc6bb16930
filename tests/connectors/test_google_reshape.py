"""Following a series changed as a whole in Google Calendar: "all events" and "this and
following events". The meetings to come keep their rows, prompts and digests, which
follow them to the new times; Google's later changes to the new occurrences still reach
them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from okrmail.app import AppContext
from okrmail.calendar_sync import sync_all
from okrmail.clock import ManualClock
from okrmail.models import Digest, Meeting, Prompt, Series
from tests.connectors.test_google_sync import _book, _digest, _meetings, _prompts
from tests.fakes.google_fixtures import *  # noqa: F403  (fixtures: ctx, fake_google, ...)
from tests.fakes.google_server import FakeGoogle

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _weekly_at(start: datetime, series: Series) -> str:
    """A weekly rule on the weekday `start` falls on in the series' zone."""
    return f"FREQ=WEEKLY;BYDAY={WEEKDAYS[start.astimezone(ZoneInfo(series.timezone)).weekday()]}"


def _series(ctx: AppContext, uid: str) -> Series:
    with ctx.sessions() as session:
        return session.scalars(select(Series).where(Series.uid == uid)).one()


def _split(fake_google: FakeGoogle, series: Series, at: Meeting, later: timedelta) -> str:
    """ "This and following events" from meeting `at` on, `later` than it, weekly on the
    weekday that makes; the split-off series' id."""
    new_start = at.original_start + later
    return fake_google.split_series(
        series.calendar_id, series.uid, at.original_start, new_start, _weekly_at(new_start, series)
    )


def _report_email(ctx: AppContext, series: Series) -> str:
    with ctx.sessions() as session:
        return session.get_one(Series, series.id).pairing.report.email


def _coming(ctx: AppContext, series: Series, clock: ManualClock) -> list[Meeting]:
    return [meeting for meeting in _meetings(ctx, series) if meeting.start > clock.now()]


def _sent_prompt(ctx: AppContext, meeting: Meeting) -> int:
    """Mark the report's prompt of `meeting` sent (as the cadence would); its id."""
    with ctx.transaction() as session:
        prompt = session.scalars(
            select(Prompt).where(Prompt.meeting_id == meeting.id, Prompt.role == "report")
        ).one()
        prompt.status = "sent"
        return prompt.id


def _totals(ctx: AppContext) -> tuple[int, int, int]:
    with ctx.sessions() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Meeting, Prompt, Digest)
        )


def _assert_followed(ctx: AppContext, meetings: list[Meeting], starts: list[datetime]) -> None:
    """Each meeting at its new start, as booked there, its prompts and digest before it."""
    assert [(m.start, m.original_start, m.status) for m in meetings] == [
        (start, start, "scheduled") for start in starts
    ]
    for meeting in meetings:
        assert meeting.end - meeting.start == timedelta(minutes=30)
        assert all(p.send_at < meeting.start for p in _prompts(ctx, meeting))
        assert _digest(ctx, meeting).send_at < meeting.start
        assert _digest(ctx, meeting).status == "pending"


def _full_listing_changes_nothing(ctx: AppContext, fake_google: FakeGoogle) -> None:
    fake_google.store.expire_sync_tokens()
    again = sync_all(ctx)
    assert again.full_resyncs == again.calendars and again.applied == 0


def test_a_series_moved_as_a_whole_takes_its_meetings_and_prompts_along(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path, clock: ManualClock
) -> None:
    series = _book(ctx, tmp_path)[0]
    before = _coming(ctx, series, clock)
    answered = _sent_prompt(ctx, before[0])
    totals = _totals(ctx)
    # Two days later and three hours later, every week, from the first occurrence on.
    first = series.first_start + timedelta(days=2, hours=3)
    rule = _weekly_at(first, series)
    fake_google.move_series(series.calendar_id, series.uid, first, rule, 30)

    report = sync_all(ctx)
    assert not report.failed and report.applied == len(before)

    after = _coming(ctx, series, clock)
    assert [m.id for m in after] == [m.id for m in before], "the same meetings, moved"
    _assert_followed(ctx, after, [m.start + timedelta(days=2, hours=3) for m in before])
    assert _totals(ctx) == totals, "no meeting, prompt or digest made twice"
    assert {p.id: p.status for p in _prompts(ctx, after[0])}[answered] == "sent"
    with ctx.sessions() as session:
        assert session.get_one(Series, series.id).rrule == rule

    # Google's later change to one of the new occurrences still finds its meeting.
    moved = after[1]
    fake_google.move_occurrence(
        series.calendar_id, series.uid, moved.original_start, moved.start + timedelta(hours=1)
    )
    assert sync_all(ctx).applied == 1
    row = next(m for m in _meetings(ctx, series) if m.id == moved.id)
    assert (row.status, row.start) == ("moved", moved.start + timedelta(hours=1))

    _full_listing_changes_nothing(ctx, fake_google)
    assert _totals(ctx) == totals


def test_this_and_following_carries_the_meetings_on_in_the_split_off_series(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path, clock: ManualClock
) -> None:
    series = _book(ctx, tmp_path)[1]
    before = _coming(ctx, series, clock)
    kept, carried = before[:2], before[2:]
    answered = _sent_prompt(ctx, carried[0])
    totals = _totals(ctx)
    split_id = _split(fake_google, series, carried[0], timedelta(days=1, hours=2))

    report = sync_all(ctx)
    # Two changes each: ended with the old series, then taken up by the new one.
    assert not report.failed and report.applied == 2 * len(carried)

    assert [(m.id, m.start) for m in _coming(ctx, series, clock)] == [
        (m.id, m.start) for m in kept
    ], "the occurrences before the split stay in the old series, where they were"
    split = _series(ctx, split_id)
    assert (split.pairing_id, split.status) == (series.pairing_id, "active")
    after = _meetings(ctx, split)
    assert [m.id for m in after] == [m.id for m in carried], "the same meetings carry on"
    _assert_followed(ctx, after, [m.start + timedelta(days=1, hours=2) for m in carried])
    assert _totals(ctx) == totals, "no meeting, prompt or digest made twice"
    assert {p.id: p.status for p in _prompts(ctx, after[0])}[answered] == "sent"

    # The split-off series is followed like any other: the report declines one occurrence.
    declined = after[1]
    report_email = _report_email(ctx, split)
    fake_google.decline(series.calendar_id, split_id, report_email, declined.original_start)
    assert sync_all(ctx).applied == 1
    row = next(m for m in _meetings(ctx, split) if m.id == declined.id)
    assert row.status == "cancelled"
    assert {p.status for p in _prompts(ctx, row)} == {"cancelled"}

    _full_listing_changes_nothing(ctx, fake_google)  # nor makes a second split-off
    with ctx.sessions() as session:
        uids = session.scalars(
            select(Series.uid).where(Series.pairing_id == series.pairing_id).order_by(Series.id)
        ).all()
    assert uids == [series.uid, split_id]
    assert _totals(ctx) == totals


def test_a_series_cut_short_cancels_the_meetings_past_its_end(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path, clock: ManualClock
) -> None:
    """Ending the series on a date ("ends on" in Google) is a new rule with a UTC UNTIL."""
    series = _book(ctx, tmp_path)[2]
    before = _coming(ctx, series, clock)
    last = before[1].original_start
    until = (last + timedelta(hours=1)).astimezone(UTC)
    rule = f"{series.rrule};UNTIL={until:%Y%m%dT%H%M%SZ}"
    fake_google.move_series(series.calendar_id, series.uid, series.first_start, rule, 30)

    assert sync_all(ctx).applied == len(before) - 2
    after = _coming(ctx, series, clock)
    assert [m.status for m in after] == ["scheduled"] * 2 + ["cancelled"] * (len(before) - 2)
    for meeting in after[2:]:
        assert {p.status for p in _prompts(ctx, meeting)} == {"cancelled"}
        assert _digest(ctx, meeting).status == "cancelled"


def test_a_series_made_biweekly_keeps_every_other_meeting_where_it_was(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path, clock: ManualClock
) -> None:
    """Fewer occurrences than meetings: the ones with no occurrence left are cancelled,
    the others stay put (and the slots handed round never clash)."""
    series = _book(ctx, tmp_path)[0]
    before = _coming(ctx, series, clock)
    rule = series.rrule.replace("INTERVAL=1", "INTERVAL=2")
    fake_google.move_series(series.calendar_id, series.uid, series.first_start, rule, 30)

    report = sync_all(ctx)
    assert not report.failed and report.applied == len(before) // 2
    after = _coming(ctx, series, clock)
    assert [(m.id, m.start) for m in after] == [(m.id, m.start) for m in before]
    assert [m.status for m in after] == ["scheduled", "cancelled"] * (len(before) // 2) + [
        "scheduled"
    ] * (len(before) % 2)
    assert {p.status for m in after[1::2] for p in _prompts(ctx, m)} == {"cancelled"}


def test_a_move_just_after_todays_meeting_does_not_hold_it_twice(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path, clock: ManualClock
) -> None:
    """Today's 08:00 meeting took place; at 08:40 the series moves to 10:00 from today on.
    Today's 10:00 is that meeting, already held: the next one goes to next week's 10:00."""
    series = _book(ctx, tmp_path)[0]
    today, *coming = _meetings(ctx, series)
    clock.set(today.start + timedelta(minutes=40))
    totals = _totals(ctx)
    first = series.first_start + timedelta(hours=2)
    fake_google.move_series(series.calendar_id, series.uid, first, series.rrule, 30)

    assert sync_all(ctx).applied == len(coming)
    assert _totals(ctx) == totals, "no meeting made for today's 10:00"
    held, *after = _meetings(ctx, series)
    assert (held.id, held.start, held.status) == (today.id, today.start, "scheduled")
    _assert_followed(ctx, after, [m.start + timedelta(hours=2) for m in coming])


def test_declining_and_accepting_a_split_off_series_brings_it_back(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path, clock: ManualClock
) -> None:
    """The series it was split off is the same 1-on-1, not a rebooking that would stand
    in the way (either way round)."""
    series = _book(ctx, tmp_path)[1]
    split_id = _split(fake_google, series, _coming(ctx, series, clock)[2], timedelta(days=1))
    assert not sync_all(ctx).failed
    report_email = _report_email(ctx, series)
    for uid in (split_id, series.uid):
        fake_google.decline(series.calendar_id, uid, report_email)
        sync_all(ctx)
        assert _series(ctx, uid).status == "cancelled"
        fake_google.accept(series.calendar_id, uid, report_email)
        sync_all(ctx)
        assert _series(ctx, uid).status == "active"
        assert {m.status for m in _coming(ctx, _series(ctx, uid), clock)} == {"scheduled"}


def test_a_series_moved_while_declined_comes_back_at_its_new_times(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path, clock: ManualClock
) -> None:
    series = _book(ctx, tmp_path)[0]
    report_email = _report_email(ctx, series)
    before = _coming(ctx, series, clock)
    fake_google.decline(series.calendar_id, series.uid, report_email)
    assert sync_all(ctx).applied == 1
    first = series.first_start + timedelta(hours=3)
    fake_google.move_series(series.calendar_id, series.uid, first, series.rrule, 30)
    sync_all(ctx)
    fake_google.accept(series.calendar_id, series.uid, report_email)
    sync_all(ctx)
    _assert_followed(
        ctx, _coming(ctx, series, clock), [m.start + timedelta(hours=3) for m in before]
    )

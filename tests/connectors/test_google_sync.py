"""Following Google: changes made in Google Calendar reach Meeting and Prompt rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from okrmail.app import AppContext
from okrmail.booking import book_all, book_pairing, expand_series
from okrmail.calendar_sync import sync_all
from okrmail.chasing import schedule_chases
from okrmail.clock import ManualClock
from okrmail.models import CalendarSyncState, Chase, Digest, Meeting, Prompt, Series
from tests.fakes.google_fixtures import *  # noqa: F403  (fixtures: ctx, fake_google, ...)
from tests.fakes.google_fixtures import import_org
from tests.fakes.google_server import FakeGoogle


def _book(ctx: AppContext, tmp_path: Path) -> list[Series]:
    import_org(ctx, tmp_path)
    _, problems = book_all(ctx)
    assert not problems
    first = sync_all(ctx)  # the first, full listing: everything is as booked
    assert first.calendars == 4 and first.applied == 0 and not first.failed
    with ctx.sessions() as session:
        rows = list(session.scalars(select(Series).order_by(Series.id)))
        for row in rows:
            _ = row.pairing.report  # loaded while the session is open
        return rows


def _meetings(ctx: AppContext, series: Series) -> list[Meeting]:
    with ctx.sessions() as session:
        return list(
            session.scalars(
                select(Meeting)
                .where(Meeting.series_id == series.id)
                .order_by(Meeting.original_start)
            )
        )


def _prompts(ctx: AppContext, meeting: Meeting) -> list[Prompt]:
    with ctx.sessions() as session:
        return list(session.scalars(select(Prompt).where(Prompt.meeting_id == meeting.id)))


def _counts(ctx: AppContext) -> tuple[int, int]:
    with ctx.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Meeting)) or 0,
            session.scalar(select(func.count()).select_from(Prompt)) or 0,
        )


def test_changes_made_on_google_follow_after_a_sync(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    moved, cancelled, declined, deleted, series_declined, untouched = _book(ctx, tmp_path)[:6]
    move = _meetings(ctx, moved)[1]
    new_start = move.start + timedelta(hours=2)
    send_before = [prompt.send_at for prompt in _prompts(ctx, move)]
    cancel = _meetings(ctx, cancelled)[2]
    decline = _meetings(ctx, declined)[0]
    report_of = {row.id: row.pairing.report.email for row in (declined, series_declined)}

    fake_google.move_occurrence(moved.calendar_id, moved.uid, move.original_start, new_start)
    fake_google.cancel_occurrence(cancelled.calendar_id, cancelled.uid, cancel.original_start)
    fake_google.decline(
        declined.calendar_id, declined.uid, report_of[declined.id], decline.original_start
    )
    fake_google.delete_series(deleted.calendar_id, deleted.uid)
    fake_google.decline(
        series_declined.calendar_id, series_declined.uid, report_of[series_declined.id]
    )

    report = sync_all(ctx)
    assert not report.failed and report.applied == 5

    after = {m.id: m for m in _meetings(ctx, moved)}[move.id]
    assert (after.status, after.start, after.end) == (
        "moved",
        new_start,
        new_start + timedelta(minutes=30),
    )
    assert [p.send_at for p in _prompts(ctx, after)] != send_before, "prompts follow the meeting"
    assert all(p.send_at < new_start for p in _prompts(ctx, after))
    for meeting, series in ((cancel, cancelled), (decline, declined)):
        row = next(m for m in _meetings(ctx, series) if m.id == meeting.id)
        assert row.status == "cancelled"
        assert {p.status for p in _prompts(ctx, row)} == {"cancelled"}
    for gone in (deleted, series_declined):
        with ctx.sessions() as session:
            assert session.get_one(Series, gone.id).status == "cancelled"
        assert {m.status for m in _meetings(ctx, gone)} == {"cancelled"}
        assert {p.status for m in _meetings(ctx, gone) for p in _prompts(ctx, m)} == {"cancelled"}
    assert {m.status for m in _meetings(ctx, untouched)} == {"scheduled"}


def _digest(ctx: AppContext, meeting: Meeting) -> Digest:
    with ctx.sessions() as session:
        return session.scalars(select(Digest).where(Digest.meeting_id == meeting.id)).one()


class Answering:
    """Two booked series: the report of `one` answers one `occurrence` of it, the report
    of `whole` answers the whole series."""

    def __init__(self, ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path) -> None:
        self.fake = fake_google
        self.one, self.whole = _book(ctx, tmp_path)[2:4]
        self.occurrence = _meetings(ctx, self.one)[1]
        self.report_of = {row.id: row.pairing.report.email for row in (self.one, self.whole)}

    def answer(self, status: str) -> None:
        respond = self.fake.accept if status == "accepted" else self.fake.decline
        one, whole = self.one, self.whole
        respond(one.calendar_id, one.uid, self.report_of[one.id], self.occurrence.original_start)
        respond(whole.calendar_id, whole.uid, self.report_of[whole.id])


def test_accepting_again_after_declining_brings_the_meetings_back(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    answering = Answering(ctx, fake_google, tmp_path)
    one, whole, occurrence = answering.one, answering.whole, answering.occurrence
    send_at = sorted(prompt.send_at for prompt in _prompts(ctx, occurrence))

    answering.answer("declined")
    assert sync_all(ctx).applied == 2
    assert {p.status for p in _prompts(ctx, occurrence)} == {"cancelled"}
    assert _digest(ctx, occurrence).status == "cancelled"
    assert {m.status for m in _meetings(ctx, whole)} == {"cancelled"}

    answering.answer("accepted")
    report = sync_all(ctx)
    assert not report.failed and report.applied == 2

    back = next(m for m in _meetings(ctx, one) if m.id == occurrence.id)
    assert back.status == "scheduled"
    assert sorted(p.send_at for p in _prompts(ctx, back)) == send_at
    assert {p.status for p in _prompts(ctx, back)} == {"pending"}
    assert _digest(ctx, back).status == "pending"
    with ctx.sessions() as session:
        assert session.get_one(Series, whole.id).status == "active"
    assert {m.status for m in _meetings(ctx, whole)} == {"scheduled"}
    assert {p.status for m in _meetings(ctx, whole) for p in _prompts(ctx, m)} == {"pending"}
    # Listed again with nothing new, nothing changes.
    assert sync_all(ctx).applied == 0


def test_a_restored_meeting_chases_its_sent_prompt_again_and_a_rebooked_series_stands(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    answering = Answering(ctx, fake_google, tmp_path)
    whole, occurrence = answering.whole, answering.occurrence
    with ctx.transaction() as session:  # the report's prompt went out before the decline
        prompt = session.scalars(
            select(Prompt).where(Prompt.meeting_id == occurrence.id, Prompt.role == "report")
        ).one()
        prompt.status, prompt.sent_at = "sent", ctx.now()
        schedule_chases(ctx, session, prompt, ctx.now())
        prompt_id = prompt.id

    def chases() -> list[str]:
        with ctx.sessions() as session:
            return list(session.scalars(select(Chase.status).where(Chase.prompt_id == prompt_id)))

    planned = chases()
    assert planned and set(planned) == {"pending"}
    answering.answer("declined")
    sync_all(ctx)
    assert set(chases()) == {"cancelled"}
    rebooked = book_pairing(ctx, whole.pairing_id)

    answering.answer("accepted")
    sync_all(ctx)
    assert chases() == planned  # planned again, the cancelled ones gone
    with ctx.sessions() as session:
        assert session.get_one(Series, whole.id).status == "cancelled"
        assert session.get_one(Series, rebooked.id).status == "active"
    assert {m.status for m in _meetings(ctx, whole)} == {"cancelled"}


def test_an_expired_sync_token_means_a_full_resync_without_duplicates(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    series = _book(ctx, tmp_path)[0]
    meeting = _meetings(ctx, series)[0]
    new_start = meeting.start + timedelta(days=1)
    fake_google.move_occurrence(series.calendar_id, series.uid, meeting.original_start, new_start)
    fake_google.store.expire_sync_tokens()
    before = _counts(ctx)

    report = sync_all(ctx)
    assert not report.failed
    assert report.full_resyncs == 4 and report.applied == 1
    assert _counts(ctx) == before, "no meeting or prompt made twice"
    assert _meetings(ctx, series)[0].start == new_start

    again = sync_all(ctx)
    assert again.full_resyncs == 0 and again.applied == 0, "the new token works"


def test_an_unchanged_calendar_costs_one_round_trip(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    _book(ctx, tmp_path)
    fake_google.stats.reset()
    report = sync_all(ctx)
    assert report.calendars == 4 and report.applied == 0
    assert fake_google.stats.api_round_trips == 4
    assert sum(fake_google.stats.token_requests.values()) == 0
    with ctx.sessions() as session:
        tokens = session.scalars(select(CalendarSyncState.sync_token)).all()
    assert len(tokens) == 4 and all(tokens)


def test_a_change_past_the_expanded_horizon_is_kept(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path, clock: ManualClock
) -> None:
    """Meetings exist 35 days ahead; an occurrence cancelled (or moved) 10 weeks ahead on
    Google must not come back when the series is expanded that far later."""
    cancelled, moved = _book(ctx, tmp_path)[:2]
    far_cancel = _meetings(ctx, cancelled)[0].original_start + timedelta(weeks=10)
    far_move = _meetings(ctx, moved)[0].original_start + timedelta(weeks=10)
    new_start = far_move + timedelta(hours=1)
    assert far_cancel > _meetings(ctx, cancelled)[-1].original_start
    fake_google.cancel_occurrence(cancelled.calendar_id, cancelled.uid, far_cancel)
    fake_google.move_occurrence(moved.calendar_id, moved.uid, far_move, new_start)
    assert sync_all(ctx).applied == 2

    clock.advance(timedelta(days=60))
    with ctx.transaction() as session:
        for series_id in (cancelled.id, moved.id):
            expand_series(ctx, session, session.get_one(Series, series_id))
    by_start = {m.original_start: m for m in _meetings(ctx, cancelled) + _meetings(ctx, moved)}
    assert by_start[far_cancel].status == "cancelled"
    assert (by_start[far_move].status, by_start[far_move].start) == ("moved", new_start)
    assert [p.status for p in _prompts(ctx, by_start[far_move])] == ["pending"]
    assert _digest(ctx, by_start[far_move]).status == "pending"  # the manager's, too
    assert all(isinstance(start, datetime) for start in by_start)
    assert len(_meetings(ctx, cancelled)) == len(
        {m.original_start for m in _meetings(ctx, cancelled)}
    )


def test_the_tick_follows_google_once_a_minute(
    ctx: AppContext, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    """No command needed: the tick starts a sync pass (at most one per minute, whichever
    process ticks), and a move made in Google Calendar reaches the meeting."""
    from okrmail.tick import tick
    from workers.dispatch import InlineDispatcher

    moved = _book(ctx, tmp_path)[0]
    meeting = _meetings(ctx, moved)[1]
    new_start = meeting.start + timedelta(hours=3)
    fake_google.move_occurrence(moved.calendar_id, moved.uid, meeting.original_start, new_start)
    clock = ctx.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(minutes=10))  # past the polling interval
    dispatcher = InlineDispatcher(ctx)
    assert tick(ctx, dispatcher).dispatched.get("sync_calendars") == 1
    assert "sync_calendars" not in tick(ctx, dispatcher).dispatched  # not again this minute
    after = next(m for m in _meetings(ctx, moved) if m.id == meeting.id)
    assert (after.status, after.start) == ("moved", new_start)

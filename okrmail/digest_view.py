"""What a manager's digest says about one meeting: plain JSON-ready facts, no rendering.

For the report of each meeting: their latest check-in answer by answer (marked late when
it arrived after the meeting it belonged to) and what they wrote outside any answer,
key-result progress with the change since the previous check-in, the confidence trend,
blockers (new, open for how many check-ins, or resolved since the previous check-in),
requests for help, wins, and — when they have not answered — when they were prompted and
chased.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from okrmail.answer_view import note_shown, updated_since
from okrmail.app import AppContext
from okrmail.models import Chase, CheckIn, CheckInReading, Digest, Meeting, Person, Prompt
from okrmail.prompting import (
    absence_days,
    amount,
    format_value,
    key_result_lines,
    local_day,
    person_view,
)
from okrmail.questions import question_sets

SPARK = "▁▂▃▄▅▆▇█"
# The score at the lowest block when none lower is in the trend: 3 to 10 fill the eight.
SPARK_FLOOR = 3
_WORD = re.compile(r"[a-z0-9]+")
# Two blockers are "the same one" when they share this share of their words.
SAME_BLOCKER = 0.5
STOPWORDS = frozenset(
    {"the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "is", "are", "was"}
    | {"be", "with", "by", "at", "it", "this", "that"}
)


def sparkline(scores: Sequence[int]) -> str:
    """Confidence scores 1-10 as block characters: survives any mail client as text.

    Eight heights for ten scores cannot give each its own, yet a one-point change (7 to 8)
    is the one worth seeing; so each point is one block, scores from 3 up at fixed heights
    (▁ 3 to █ 10: rows of one digest compare), a trend with a 1 or 2 starting at its
    lowest. Only one spanning more than eight points (1 and 10) is squeezed, and even then
    two different scores share no height (unless it holds more than eight of them); the
    numbers are printed beside it anyway."""
    clamped = [min(max(score, 1), 10) for score in scores]
    if not clamped:
        return ""
    heights = _heights(sorted(set(clamped)))
    return "".join(SPARK[heights[score]] for score in clamped)


def _heights(distinct: list[int]) -> dict[int, int]:
    """A height for each of these ascending scores: one step per point where they fit,
    in proportion where they do not, then nudged apart so that none share one."""
    top = len(SPARK) - 1
    lowest = min(distinct[0], SPARK_FLOOR)
    span = max(distinct[-1] - lowest, top)
    heights = [round((score - lowest) * top / span) for score in distinct]
    for index in range(1, len(heights)):  # up from the bottom: each above the one below
        heights[index] = max(heights[index], heights[index - 1] + 1)
    heights[-1] = min(heights[-1], top)
    for index in range(len(heights) - 2, -1, -1):  # down from the top: under the ceiling
        heights[index] = max(min(heights[index], heights[index + 1] - 1), 0)
    return dict(zip(distinct, heights, strict=True))


def _local(instant: datetime | None, zone: str) -> str:
    if instant is None:
        return ""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def _words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in STOPWORDS}


def similar(left: str, right: str) -> bool:
    a, b = _words(left), _words(right)
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= SAME_BLOCKER


def _checkins_before(
    session: Session, person_id: int, meeting: Meeting, limit: int
) -> list[CheckIn]:
    """The person's check-ins for this meeting and earlier ones, newest first."""
    rows = session.scalars(
        select(CheckIn)
        .join(Meeting, CheckIn.meeting_id == Meeting.id)
        .where(CheckIn.person_id == person_id, Meeting.start <= meeting.start)
        .order_by(Meeting.start.desc())
        .limit(limit)
    ).all()
    return list(rows)


def _current(rows: Sequence[Any]) -> list[Any]:
    return [row for row in rows if row.current]


def _answers(ctx: AppContext, checkin: CheckIn) -> list[dict[str, Any]]:
    """The current answers in question order, each with what later replies updated of it
    (the answer stays as written)."""
    question_set = question_sets(ctx.settings.templates_path)[checkin.prompt.question_set]
    questions = {
        question.key: (number, question)
        for number, question in enumerate(question_set.for_role(checkin.prompt.role), 1)
    }
    readings = _current(checkin.readings)
    shown = []
    for answer in _current(checkin.answers):
        number, question = questions.get(answer.question_key, (0, None))
        shown.append(
            {
                "number": number,
                "question": question.text if question else answer.question_key or "Notes",
                "text": answer.text.strip(),
                "updated": updated_since(question.kind, answer, readings) if question else "",
            }
        )
    # Answers to no question of the set (a set changed since) after the others.
    return sorted(shown, key=lambda entry: entry["number"] or 99)


def _readings(checkin: CheckIn | None, kind: str) -> list[CheckInReading]:
    if checkin is None:
        return []
    return [reading for reading in _current(checkin.readings) if reading.kind == kind]


def _by_kr(readings: Sequence[CheckInReading]) -> dict[int | None, CheckInReading]:
    return {reading.kr_number: reading for reading in readings}


def _score(readings: dict[int | None, CheckInReading], number: int) -> int | None:
    """The confidence for KR `number`, or the overall one when none was given for it."""
    reading = readings.get(number) or readings.get(None)
    return reading.score if reading is not None else None


def _progress_line(
    latest: CheckInReading | None, previous: CheckInReading | None, unit: str, as_of: str = ""
) -> str:
    """What the latest check-in did to a key result: its change since the one before, or
    that it is the first reading (the value itself is beside it already). With `as_of`
    (the report has not answered since the check-in of that meeting), said of that
    check-in and "none since": nothing of it is new."""
    when = f"in the check-in for {as_of}" if as_of else "since last check-in"
    since = "; none since" if as_of else ""
    if latest is None or latest.value is None:
        if previous is None:
            return ""
        return (
            f"no update in the check-in for {as_of}{since}"
            if as_of
            else "no update in this check-in"
        )
    now = amount(latest.value, unit)
    if previous is None or previous.value is None:
        return f"first reading{', ' + when if as_of else ''}{since}"
    change = latest.value - previous.value
    if change == 0:
        return f"no change {when} ({now}){since}"
    sign = "+" if change > 0 else "−"
    before, now = (
        format_value(previous.value, grouped=True),
        format_value(latest.value, grouped=True),
    )
    return f"{sign}{amount(abs(change), unit)} {when} ({before} → {now}){since}"


def key_results_view(
    ctx: AppContext, session: Session, person: Person, history: list[CheckIn], as_of: str = ""
) -> list[dict[str, Any]]:
    """Each key result with the change since the previous check-in and the confidence
    trend; with `as_of`, the latest check-in is an old one (`_progress_line`)."""
    lines = key_result_lines(session, person.id, for_digest=True)
    trend_length = ctx.settings.digest.trend_length
    progress = [_by_kr(_readings(checkin, "progress")) for checkin in history]
    confidence = [_by_kr(_readings(checkin, "confidence")) for checkin in history]
    view = []
    for line in lines:
        number = line["number"]
        latest = progress[0].get(number) if progress else None
        previous = next((p[number] for p in progress[1:] if number in p), None)
        recent = reversed(confidence[:trend_length])
        scores = [score for readings in recent if (score := _score(readings, number)) is not None]
        view.append(
            {
                **line,
                "change_text": _progress_line(latest, previous, line["unit"], as_of),
                "confidence": scores[-1] if scores else None,
                "trend": sparkline(scores) if len(scores) > 1 else "",
                "trend_text": " → ".join(str(score) for score in scores)
                if scores
                else "no confidence given",
            }
        )
    return view


def blockers_view(
    history: list[CheckIn], current: bool, as_of: str, said_none: bool = False
) -> list[dict[str, Any]]:
    """The latest check-in's blockers, each labelled with what it is since the check-in
    before: new, or open for so many check-ins in a row; when the report has not answered
    since (`current` False), from that check-in of `as_of` instead, as nothing about it is
    new. Then, for a current check-in, the previous one's blockers it no longer has (an old
    check-in's were shown when it was current): resolved when it says there are none
    (`said_none`: it answered the obstacles question, and named no blocker), else only no
    longer mentioned, which is a question for the meeting, not news of a fix."""
    if not history:
        return []
    latest = _readings(history[0], "blocker")
    view = []
    for blocker in latest:
        open_for = _open_for(blocker, history[1:])
        view.append(
            {
                "text": blocker.text.strip(),
                "open_for": open_for,
                "resolved": False,
                "label": _open_label(open_for, current, as_of),
            }
        )
    if current and len(history) > 1:
        view.extend(
            {
                "text": gone.text.strip(),
                "open_for": 0,
                "resolved": True,
                "label": "resolved since last check-in" if said_none else "not mentioned this time",
            }
            for gone in _readings(history[1], "blocker")
            if not any(similar(gone.text, blocker.text) for blocker in latest)
        )
    return view


def _says_no_blockers(ctx: AppContext, checkin: CheckIn) -> bool:
    """Whether the check-in answers its obstacles question and names no blocker ("None,
    all clear now")."""
    if _readings(checkin, "blocker"):
        return False
    question_set = question_sets(ctx.settings.templates_path)[checkin.prompt.question_set]
    asked = {q.key for q in question_set.for_role(checkin.prompt.role) if q.kind == "blockers"}
    return any(answer.question_key in asked for answer in _current(checkin.answers))


def _open_for(blocker: CheckInReading, earlier: list[CheckIn]) -> int:
    """In how many check-ins in a row, this one included, the blocker has been."""
    open_for = 1
    for checkin in earlier:
        if not any(similar(blocker.text, other.text) for other in _readings(checkin, "blocker")):
            break
        open_for += 1
    return open_for


def _open_label(open_for: int, current: bool, as_of: str) -> str:
    if current:
        return "new" if open_for == 1 else f"open for {open_for} check-ins"
    if open_for == 1:
        return f"from the check-in for {as_of}; none since"
    return f"open for {open_for} check-ins up to the one for {as_of}; none since"


def _notes(checkin: CheckIn | None, kind: str) -> list[str]:
    return [reading.text.strip() for reading in _readings(checkin, kind) if reading.text.strip()]


def _missing(
    session: Session, prompt: Prompt | None, manager: Person, now: datetime
) -> dict[str, Any] | None:
    if prompt is None or prompt.status == "answered":
        return None
    chases = session.scalars(
        select(Chase)
        .where(Chase.prompt_id == prompt.id, Chase.kind == "reminder")
        .order_by(Chase.number)
    ).all()
    sent = [chase for chase in chases if chase.status == "sent"]
    pending = [chase for chase in chases if chase.status == "pending" and chase.send_at > now]
    person = prompt.person
    away = person.back_from_absence(now)
    return {
        "prompted_at": _local(prompt.sent_at, manager.timezone) or "not yet prompted",
        "status": prompt.status,
        "chased_at": [_local(chase.sent_at, manager.timezone) for chase in sent],
        "next_reminder": _local(pending[0].send_at, manager.timezone) if pending else "",
        "skipped": [chase.reason for chase in chases if chase.status == "skipped" and chase.reason],
        # Nobody to raise it with when they are away, nor when the prompt never reached them.
        "escalated": prompt.status == "sent" and not pending and not away,
        "unchased": prompt.status == "sent" and not pending and not sent and not away,
        "undeliverable": prompt.status == "undeliverable",
        # The day they are back, where they are (away_until is the start of that day).
        "back_on": local_day(away, person.timezone) if away else "",
    }


def absence_text(person: Person, now: datetime) -> str:
    """That the person is marked away, now or from a day to come, and the day they are
    back, in their own zone (away_until is the start of that day), for each absence they
    are marked for ("Away, back Sat 21 Nov; away from Mon 14 Dec, back Sat 19 Dec; ...");
    "" when not."""
    said = [
        ("away" if said_before else "Away")
        + (f" from {absence['from']}," if absence["from"] else ",")
        + f" back {absence['back']}"
        for said_before, absence in enumerate(absence_days(person, now))
    ]
    return f"{'; '.join(said)}; not chased while away." if said else ""


def since_view(
    session: Session, meeting: Meeting, prompt: Prompt | None, earlier: Digest | None
) -> dict[str, Any] | None:
    """What changed since the digest `earlier` sent for this meeting at another time (it
    moved since): where it was, and what the report did since, if anything."""
    if earlier is None or earlier.sent_at is None:
        return None
    pairing = meeting.series.pairing
    zone, first_name = pairing.manager.timezone, person_view(pairing.report)["first_name"]
    news = []
    if prompt is not None:
        since = earlier.sent_at
        checkin = session.scalar(select(CheckIn).where(CheckIn.prompt_id == prompt.id))
        if checkin is not None and checkin.created_at > since:
            news.append(f"{first_name} answered the check-in ({_local(checkin.created_at, zone)}).")
        elif checkin is not None and checkin.updated_at > since:
            news.append(f"{first_name} added to the check-in ({_local(checkin.updated_at, zone)}).")
        reminded = session.scalars(
            select(Chase.sent_at)
            .where(Chase.prompt_id == prompt.id, Chase.kind == "reminder", Chase.status == "sent")
            .where(Chase.sent_at > since)
            .order_by(Chase.sent_at)
        ).all()
        if reminded:
            news.append(f"Reminded: {', '.join(_local(at, zone) for at in reminded)}.")
    return {
        "sent_at": _local(earlier.sent_at, zone),
        "was": _local(earlier.meeting_start, zone),
        "moved": earlier.meeting_start != meeting.start,
        "news": news,
    }


def meeting_view(
    ctx: AppContext, session: Session, meeting: Meeting, earlier: Digest | None = None
) -> dict[str, Any]:
    """Everything the digest says about one meeting and its report; `earlier`: the digest
    sent for it before it moved, if any."""
    pairing = meeting.series.pairing
    manager, report = pairing.manager, pairing.report
    history = _checkins_before(session, report.id, meeting, ctx.settings.digest.trend_length + 1)
    prompt = session.scalar(
        select(Prompt).where(Prompt.meeting_id == meeting.id, Prompt.role == "report")
    )
    latest = history[0] if history else None
    for_this_meeting = latest is not None and latest.meeting_id == meeting.id
    checkin_view = None
    if latest is not None:
        checkin_meeting = session.get_one(Meeting, latest.meeting_id)
        checkin_view = {
            "for_this_meeting": for_this_meeting,
            "meeting_when": _local(checkin_meeting.start, manager.timezone),
            "late": latest.late,
            "answered_at": _local(latest.created_at, manager.timezone),
            "answers": _answers(ctx, latest),
            # What they wrote that answered no question in particular, unless it was
            # only "Hi Mia," and "Thanks, Rob" or values shown with the key results: not
            # lost on the way to its reader.
            "notes": [
                shown
                for note in _readings(latest, "note")
                if (shown := note_shown(note, latest.readings).strip())
            ],
        }
    return {
        "id": meeting.id,
        "when": _local(meeting.start, manager.timezone),
        "status": meeting.status,
        "report": person_view(report),
        "checkin": checkin_view,
        "key_results": key_results_view(
            ctx,
            session,
            report,
            history,
            "" if for_this_meeting or checkin_view is None else checkin_view["meeting_when"],
        ),
        "blockers": blockers_view(
            history,
            for_this_meeting,
            checkin_view["meeting_when"] if checkin_view else "",
            said_none=latest is not None and _says_no_blockers(ctx, latest),
        ),
        "help": _notes(latest, "help"),
        "wins": _notes(latest, "win"),
        "missing": _missing(session, prompt, manager, ctx.now()),
        "absence": absence_text(report, ctx.now()),
        "prep": prep_view(ctx, session, meeting),
        "since": since_view(session, meeting, prompt, earlier),
    }


def prep_view(ctx: AppContext, session: Session, meeting: Meeting) -> list[dict[str, str]]:
    """The manager's own questions, each with what they answered by email when the set
    asked them before the meeting (their prep is theirs to reread here, not lost in a
    thread); the pairing's set's manager questions, else the coaching-prep set's."""
    prompt = session.scalar(
        select(Prompt).where(Prompt.meeting_id == meeting.id, Prompt.role == "manager")
    )
    checkin = (
        session.scalar(select(CheckIn).where(CheckIn.prompt_id == prompt.id)) if prompt else None
    )
    current = _current(checkin.answers) if checkin else []
    answers = {row.question_key: row.text.strip() for row in current}
    sets = question_sets(ctx.settings.templates_path)
    chosen = sets.get(prompt.question_set if prompt else meeting.series.pairing.question_set)
    if chosen is None or not chosen.manager_questions:
        chosen = sets.get("coaching-prep")
    questions = chosen.manager_questions if chosen else []
    return [{"question": q.text, "answer": answers.get(q.key, "")} for q in questions]


def digest_context(
    ctx: AppContext,
    session: Session,
    manager: Person,
    meetings: Sequence[Meeting],
    earlier: dict[int, Digest] | None = None,
) -> dict[str, Any]:
    """The digest of `meetings`; `earlier`: by meeting id, the digest sent for a meeting
    before it moved (this one then says what changed since)."""
    earlier = earlier or {}
    views = [meeting_view(ctx, session, meeting, earlier.get(meeting.id)) for meeting in meetings]
    return {
        "manager": person_view(manager),
        "meetings": views,
        "waiting_on": [view["report"]["name"] for view in views if view["missing"]],
        "moved": any(view["since"] and view["since"]["moved"] for view in views),
        "organisation": ctx.settings.app.organisation,
        "timezone": manager.timezone,
    }

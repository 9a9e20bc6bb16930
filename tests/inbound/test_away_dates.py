"""When someone is back, read from what they or their out-of-office wrote
(`robots.read_absence`): dates, weekdays and days of the month, in the languages the
absence reader knows. Said on Tuesday 17 November 2026, 14:30 in Berlin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from okrmail.inbound.robots import Absence, away_until, back_now, read_absence, record_absence

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY = datetime(2026, 11, 17, 14, 30, tzinfo=BERLIN).astimezone(UTC)
DEFAULT_DAYS = 7


def back(text: str, *, weeks: bool = False) -> date:
    """The day the person is back, in Berlin (always at the start of that day)."""
    instant = read_absence(text, TUESDAY, "Europe/Berlin", DEFAULT_DAYS, weeks=weeks).back
    local = instant.astimezone(BERLIN)
    assert local.time().hour == 0, local
    return local.date()


def starts(text: str, *, weeks: bool = False) -> date | None:
    instant = read_absence(text, TUESDAY, "Europe/Berlin", DEFAULT_DAYS, weeks=weeks).starts
    return instant.astimezone(BERLIN).date() if instant else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "until" a day: back the morning after it, as with dates ("until 29 November").
        ("I'm on sick leave until Friday", date(2026, 11, 21)),
        ("out till Wed", date(2026, 11, 19)),
        ("Out of office through Thursday.", date(2026, 11, 20)),
        ("Ich bin bis Freitag im Urlaub.", date(2026, 11, 21)),
        ("bin bis Freitag im Urlaub", date(2026, 11, 21)),
        ("Je suis en congés jusqu'à vendredi.", date(2026, 11, 21)),
        ("Estoy de baja hasta el viernes.", date(2026, 11, 21)),
        ("Ik ben op vakantie tot en met vrijdag.", date(2026, 11, 21)),
        ("Estou de férias até sexta-feira.", date(2026, 11, 21)),
        ("Sono in ferie fino a venerdì.", date(2026, 11, 21)),
        # "back" on a day: back that morning.
        ("back on Monday", date(2026, 11, 23)),
        ("I'll be back in the office on Monday.", date(2026, 11, 23)),
        ("de retour lundi", date(2026, 11, 23)),
        ("Ich bin am Montag wieder da.", date(2026, 11, 23)),
        ("Estaré de vuelta el lunes.", date(2026, 11, 23)),
        ("Ik ben maandag terug.", date(2026, 11, 23)),
        # The weekday of today is next week's ("until Tuesday" said on a Tuesday).
        ("Away until Tuesday", date(2026, 11, 25)),
        # A day of the month said alone, after a cue.
        ("I'm on holiday until the 29th", date(2026, 11, 30)),
        ("on vacation until the 1st", date(2026, 12, 2)),
        ("Ich bin bis zum 29. im Urlaub", date(2026, 11, 30)),
        ("En congés jusqu'au 29", date(2026, 11, 30)),
        # Dates as before: "until" the day after, "back on" that day, the latest wins.
        ("bis 29.11.", date(2026, 11, 30)),
        ("I'm on holiday until 29 November", date(2026, 11, 30)),
        ("back on 30 November", date(2026, 11, 30)),
        ("Until Friday, 4 December", date(2026, 12, 5)),
    ],
)
def test_the_day_a_person_is_back(text: str, expected: date) -> None:
    assert back(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I'm out of the office.",
        "sat down with Ana on the roadmap",  # "sat" is no Saturday without a cue
        "Je suis en congé, mon équipe répond.",  # "mon" is no Monday
        "out until 2 weeks from now",  # a number is no day without "the" or "2nd"
        "Stepped out, back at 3.",  # a time of day
        "My working days are Monday to Thursday.",
    ],
)
def test_no_day_named_is_the_default_length(text: str) -> None:
    absence = read_absence(text, TUESDAY, "Europe/Berlin", DEFAULT_DAYS)
    assert not absence.named
    assert absence.back == away_until(text, TUESDAY, "Europe/Berlin", DEFAULT_DAYS)
    assert absence.back.astimezone(BERLIN).date() == date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "first_day", "back_on"),
    [
        ("I'm on holiday from the 30th", date(2026, 11, 30), date(2026, 12, 7)),
        ("Ab Montag bin ich im Urlaub, bis 4.12.", date(2026, 11, 23), date(2026, 12, 5)),
        ("Off from 25 November until 27 November", date(2026, 11, 25), date(2026, 11, 28)),
        ("I'm away next week", date(2026, 11, 23), date(2026, 11, 30)),
        ("Je serai en congés la semaine prochaine", date(2026, 11, 23), date(2026, 11, 30)),
        ("I'm away next week, back on 2 December", date(2026, 11, 23), date(2026, 12, 2)),
    ],
)
def test_an_absence_to_come_starts_on_the_day_it_says(
    text: str, first_day: date, back_on: date
) -> None:
    assert starts(text, weeks=True) == first_day
    assert back(text, weeks=True) == back_on


def test_a_start_today_or_past_is_an_absence_begun() -> None:
    assert starts("Away from 17 November until Friday") is None
    assert back("Away from 17 November until Friday") == date(2026, 11, 21)


def test_an_auto_reply_saying_it_will_answer_next_week_is_not_read_as_next_week() -> None:
    """Only what a person writes reads "next week" (`weeks=True`)."""
    text = "I'm on holiday and will reply next week."
    assert not read_absence(text, TUESDAY, "Europe/Berlin", DEFAULT_DAYS).named
    assert starts("I'm back next week", weeks=True) is None
    assert back("I'm back next week", weeks=True) == date(2026, 11, 23)


# -- ranges, a day alone, and absences apart --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first_day", "back_on"),
    [
        # "to" and a dash end a range: before, both days read as starts, and the absence
        # lasted the default week from the first.
        ("I'm on holiday from Wednesday to Friday", date(2026, 11, 18), date(2026, 11, 21)),
        ("I'm on holiday from the 2nd to the 6th", date(2026, 12, 2), date(2026, 12, 7)),
        ("OOO Mon–Wed", date(2026, 11, 23), date(2026, 11, 26)),
        ("I'm off Mon-Wed", date(2026, 11, 23), date(2026, 11, 26)),
        ("off Fri-Mon", date(2026, 11, 20), date(2026, 11, 24)),  # Monday after Friday
        ("on holiday from the 28th to the 3rd", date(2026, 11, 28), date(2026, 12, 4)),
        ("on holiday 14-18 December", date(2026, 12, 14), date(2026, 12, 19)),
        ("on holiday December 14 to 18", date(2026, 12, 14), date(2026, 12, 19)),
        ("Ich bin von Montag bis Mittwoch im Urlaub", date(2026, 11, 23), date(2026, 11, 26)),
        ("Je suis en congés du lundi au mercredi", date(2026, 11, 23), date(2026, 11, 26)),
        ("Estoy de vacaciones del lunes al miércoles", date(2026, 11, 23), date(2026, 11, 26)),
        ("Estou de férias de segunda a quarta", date(2026, 11, 23), date(2026, 11, 26)),
        ("Sono in ferie dal lunedì al mercoledì", date(2026, 11, 23), date(2026, 11, 26)),
        (
            "Ik ben van maandag tot en met woensdag op vakantie",
            date(2026, 11, 23),
            date(2026, 11, 26),
        ),
        # A day right after a word of absence is that day alone: before, it was no date.
        ("I'm out Friday", date(2026, 11, 20), date(2026, 11, 21)),
        ("off on Friday", date(2026, 11, 20), date(2026, 11, 21)),
        ("OOO Fri", date(2026, 11, 20), date(2026, 11, 21)),
        ("Out of office Friday", date(2026, 11, 20), date(2026, 11, 21)),
        ("I'm off on the 25th", date(2026, 11, 25), date(2026, 11, 26)),
        ("Ich bin krank am Montag", date(2026, 11, 23), date(2026, 11, 24)),
        # ... up to the end said right after it.
        ("I'm off Friday, back Monday", date(2026, 11, 20), date(2026, 11, 23)),
        ("I'm out Friday until the 30th", date(2026, 11, 20), date(2026, 12, 1)),
    ],
)
def test_a_range_or_a_day_alone_starts_and_ends_where_it_says(
    text: str, first_day: date, back_on: date
) -> None:
    assert starts(text, weeks=True) == first_day
    assert back(text, weeks=True) == back_on


@pytest.mark.parametrize(
    "text",
    [
        "Je suis en congé, mon équipe répond.",  # a comma: "mon" is no day of the absence
        "My working days are Monday to Thursday.",  # no word of absence opens the range
        "I work Mon-Thu, on leave.",
    ],
)
def test_days_that_are_no_absence_are_not_read(text: str) -> None:
    assert not read_absence(text, TUESDAY, "Europe/Berlin", DEFAULT_DAYS, weeks=True).named


def test_a_day_alone_is_that_whole_day_where_the_person_is() -> None:
    new_york = ZoneInfo("America/New_York")
    absence = read_absence("I'm out Friday", TUESDAY, "America/New_York", DEFAULT_DAYS)
    assert absence.starts == datetime(2026, 11, 20, tzinfo=new_york)
    assert absence.back == datetime(2026, 11, 21, tzinfo=new_york)


def test_absences_apart_are_told_apart_soonest_first() -> None:
    """Both were one absence before: "off Friday" was no date, and the holiday's two days
    were both read as starts, so it ran from the 14th for the default week."""
    text = "I'm off Friday, and on holiday from the 14th to the 18th."
    absence = read_absence(text, TUESDAY, "Europe/Berlin", DEFAULT_DAYS, weeks=True)
    assert absence.starts == datetime(2026, 11, 20, tzinfo=BERLIN)
    assert absence.back == datetime(2026, 11, 21, tzinfo=BERLIN)
    [later] = absence.later
    assert later.starts == datetime(2026, 12, 14, tzinfo=BERLIN)
    assert later.back == datetime(2026, 12, 19, tzinfo=BERLIN)


def test_absences_that_touch_are_one() -> None:
    text = "I'm sick until Wednesday, and on holiday from Thursday to Friday."
    absence = read_absence(text, TUESDAY, "Europe/Berlin", DEFAULT_DAYS, weeks=True)
    assert absence.starts is None  # begun
    assert absence.back == datetime(2026, 11, 21, tzinfo=BERLIN)
    assert absence.later == ()


@dataclass
class _Marked:
    timezone: str = "Europe/Berlin"
    away_from: datetime | None = None
    away_until: datetime | None = None
    later_away_from: datetime | None = None
    later_away_until: datetime | None = None


def _berlin(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, tzinfo=BERLIN).astimezone(UTC)


def test_two_absences_said_apart_are_both_marked_and_a_third_is_returned() -> None:
    """Of two absences apart, only the sooner was kept: the later one was forgotten."""
    person = _Marked()

    def said(text: str) -> Absence:
        return read_absence(text, TUESDAY, person.timezone, DEFAULT_DAYS, weeks=True)

    assert record_absence(person, said("I'm on holiday from the 14th to the 18th"), TUESDAY) == []
    assert record_absence(person, said("I'm out Friday"), TUESDAY) == []
    assert (person.away_from, person.away_until) == (_berlin(20), _berlin(21))
    assert (person.later_away_from, person.later_away_until) == (_berlin(14, 12), _berlin(19, 12))

    # One that touches the first joins it; a third apart is handed back, to be said again.
    assert record_absence(person, said("I'm off on the 21st"), TUESDAY) == []
    assert person.away_until == _berlin(22)
    [dropped] = record_absence(person, said("I'm off on the 1st"), TUESDAY)
    assert (person.later_away_from, person.later_away_until) == (_berlin(1, 12), _berlin(2, 12))
    assert (dropped.starts, dropped.back) == (_berlin(14, 12), _berlin(19, 12))


def test_back_early_ends_the_absence_begun_and_keeps_the_one_to_come() -> None:
    person = _Marked(
        away_until=_berlin(21), later_away_from=_berlin(14, 12), later_away_until=_berlin(19, 12)
    )
    back_now(person, TUESDAY)
    assert (person.away_from, person.away_until) == (_berlin(14, 12), _berlin(19, 12))
    assert person.later_away_from is None and person.later_away_until is None


def test_days_alone_joined_by_and_are_each_that_day() -> None:
    absence = read_absence("I'm off Friday and Monday", TUESDAY, "Europe/Berlin", DEFAULT_DAYS)
    assert (absence.starts, absence.back) == (_berlin(20), _berlin(21))
    assert [(later.starts, later.back) for later in absence.later] == [(_berlin(23), _berlin(24))]

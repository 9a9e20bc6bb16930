"""When someone is back, read from what they or their out-of-office wrote
(`robots.read_absence`): dates, weekdays and days of the month, in the languages the
absence reader knows. Said on Tuesday 17 November 2026, 14:30 in Berlin."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from okrmail.inbound.robots import away_until, read_absence

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

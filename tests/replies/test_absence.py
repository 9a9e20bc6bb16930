"""Notes that say someone is away, written by a person (auto-replies: test_robots.py)."""

from __future__ import annotations

import pytest

from okrmail.replies.absence import says_away


@pytest.mark.parametrize(
    "text",
    [
        "I'm on holiday this week, can we skip this one?",
        "Hi Mia, I'm off sick today. Can we skip?",
        "On vacation until 30 November, sorry!",
        "Out of office all week at the customer, let's skip.",
        "Sick kid at home, I'm out tomorrow.",
        "Ich bin diese Woche im Urlaub, lassen wir das ausfallen?",
        "Je suis en congés jusqu'au 30 novembre.",
        "Estoy de vacaciones esta semana.",
        "Ik ben op vakantie tot maandag.",
    ],
)
def test_the_writer_says_they_are_away(text: str) -> None:
    assert says_away(text)


@pytest.mark.parametrize(
    "text",
    [
        "Back from holiday, will answer tomorrow.",
        "I was sick last week, answers by Friday.",
        "I'll answer before my holiday.",
        "Mia, you're on holiday next week, shall we move it?",
        "Thanks, will answer tomorrow!",
        "Lena is on sick leave, let's skip this one.",
        "Great week, nothing else.",
        "That was an ill-advised launch date.",
    ],
)
def test_not_the_writer_away_now(text: str) -> None:
    assert not says_away(text)


@pytest.mark.parametrize(
    "text",
    [
        "Lena is on sick leave, let's skip this one.",
        "Hi, she's off this week. We'll catch up next time.",
        "Lena ist krank, wir lassen es ausfallen.",
        "lena's out sick today",
    ],
)
def test_a_manager_says_the_report_is_away(text: str) -> None:
    assert says_away(text, about="Lena")


@pytest.mark.parametrize(
    "text",
    [
        "I'm on holiday this week, let's skip this one.",
        "Rob is on vacation, so Lena can present.",
        "Lena was sick last week; answers look fine.",
        "Can you add the hiring numbers, Lena?",
    ],
)
def test_not_the_report_away(text: str) -> None:
    assert not says_away(text, about="Lena")


def test_a_long_message_that_mentions_a_holiday_is_no_absence_note() -> None:
    long = "We shipped the importer. " * 20 + "I'm on holiday after that."
    assert not says_away(long)

"""Notes that say someone is away, written by a person (auto-replies: test_robots.py)."""

from __future__ import annotations

from re import _parser
from re._constants import (
    ASSERT,
    ASSERT_NOT,
    AT,
    BRANCH,
    CATEGORY,
    CATEGORY_DIGIT,
    IN,
    LITERAL,
    MAX_REPEAT,
    MIN_REPEAT,
    RANGE,
    SUBPATTERN,
)
from typing import Any

import pytest

from okrmail.replies.absence import _AWAY, _may_say_away, absence_sentences, says_away


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


# -- in a whole check-in ----------------------------------------------------------------------

ANSWERS = "1. KR1 20/50, KR2 33%\n2. None\n3. Pairing with Ana on Friday\n"


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (ANSWERS + "I'm away next week.", "I'm away next week."),
        (
            ANSWERS + "Heads-up: I'm on holiday from the 30th.",
            "Heads-up: I'm on holiday from the 30th.",
        ),
        (ANSWERS + "On holiday next week.", "On holiday next week."),
        (ANSWERS + "Ich bin ab Montag im Urlaub.", "Ich bin ab Montag im Urlaub."),
        (
            ANSWERS + "Je serai en congés la semaine prochaine.",
            "Je serai en congés la semaine prochaine.",
        ),
        (
            ANSWERS + "I'm off sick until Friday, answers above.",
            "I'm off sick until Friday, answers above.",
        ),
    ],
)
def test_a_check_in_that_also_says_its_writer_will_be_away(text: str, sentence: str) -> None:
    assert absence_sentences(text) == [sentence]


@pytest.mark.parametrize(
    "text",
    [
        ANSWERS + "I was sick last week, hence the late numbers.",
        ANSWERS + "Blocked: the finance team is out of office until Friday.",
        ANSWERS + "Ana is on holiday next week.",
        ANSWERS + "My team is off next week for the offsite prep.",
        ANSWERS + "We'll ship before my holiday.",
        ANSWERS + "Ill send the hiring numbers tomorrow.",
        ANSWERS + "I'm sick of this flaky test.",
        ANSWERS + "Back from holiday, all good.",
    ],
)
def test_a_check_in_that_speaks_of_no_absence_of_its_writer_now_or_to_come(text: str) -> None:
    assert absence_sentences(text) == []


@pytest.mark.parametrize(
    "sentence",
    [
        # A day right after "out"/"off", said of the writer or opening the sentence.
        "I'm out Friday.",
        "Off on Friday, answers above.",
        "OOO Fri.",
        "I'll be off Mon-Wed.",
        # Ill, said of the writer, with a day: bare illness words were left out altogether.
        "I'm sick until Friday.",
        "I'm still a bit unwell until Wednesday.",
        "Ich bin bis Freitag krank.",
        "Je suis malade jusqu'à vendredi.",
    ],
)
def test_a_check_in_that_says_its_writer_is_out_a_day_or_ill_until_one(sentence: str) -> None:
    assert absence_sentences(ANSWERS + sentence) == [sentence]


ORDINARY = [
    "We shipped on Friday.",
    "The release is out Friday.",
    "I think the release is out Friday.",
    "The release is out on Friday.",
    "It's out of scope until Friday.",
    "I'm sick of waiting until Friday.",
    "Sick of waiting until Friday.",
    "I'll sign off on Friday's numbers.",
    "I'm sure the build is sick until Friday.",
    "Ill send the numbers on Friday.",
]


@pytest.mark.parametrize("sentence", ORDINARY)
def test_ordinary_sentences_with_a_day_are_no_absence_in_a_check_in(sentence: str) -> None:
    assert absence_sentences(ANSWERS + sentence) == []


@pytest.mark.parametrize(
    "sentence",
    [
        # Were notes saying their writer is away, so marked away and their manager told.
        "The release is out on Friday.",
        "Sick of waiting until Friday.",
        "I'm sick of waiting until Friday.",
        "Ill send the numbers on Friday.",
        # Never were; kept so.
        "We shipped on Friday.",
        "The release is out Friday.",
        "It's out of scope until Friday.",
    ],
)
def test_ordinary_sentences_with_a_day_are_no_note_of_absence(sentence: str) -> None:
    assert not says_away(sentence)


@pytest.mark.parametrize("text", ["I'm out Friday, can we skip?", "OOO Fri", "Off on Friday."])
def test_a_note_that_says_its_writer_is_out_a_day(text: str) -> None:
    assert says_away(text)


@pytest.mark.parametrize(
    "text",
    [
        # "off on" is no day here but the start of a leave: it must not hide the leave.
        "Heading off on holiday tomorrow, back on the 12th. Can we skip this one?",
        "Sorry, off on parental leave from Monday.",
        "Jetting off on vacation Friday",
        "Setting out on my sabbatical next week.",
    ],
)
def test_a_note_that_says_its_writer_is_off_on_a_leave(text: str) -> None:
    assert says_away(text)


# -- the cheap test before the search ---------------------------------------------------------


def _phrasings(parsed: Any) -> list[str]:
    """Every string the literal structure of a parsed pattern spells: each branch, each
    optional part with and without, each character of a class; look-arounds and anchors
    spell nothing."""
    spelled = [""]
    for op, value in parsed:
        if op is LITERAL:
            options = [chr(value)]
        elif op is IN:  # one character of the class: a literal, a range's first, a digit
            options = [_one_of(kind, item) for kind, item in value]
        elif op is BRANCH:
            options = [text for branch in value[1] for text in _phrasings(branch)]
        elif op is SUBPATTERN:
            options = _phrasings(value[-1])
        elif op in (MAX_REPEAT, MIN_REPEAT):
            low, _, item = value
            once = _phrasings(item)
            options = ([""] if low == 0 else []) + [text * max(low, 1) for text in once]
        else:
            assert op in (AT, ASSERT, ASSERT_NOT), op
            options = [""]
        assert options, (op, value)
        spelled = [head + tail for head in spelled for tail in options]
    return spelled


def _one_of(kind: Any, item: Any) -> str:
    if kind is LITERAL:
        return chr(item)
    if kind is RANGE:
        return chr(item[0])
    assert kind is CATEGORY and item is CATEGORY_DIGIT, (kind, item)
    return "7"


def test_every_absence_the_pattern_finds_passes_the_cheap_test_before_it() -> None:
    """`absence_sentences` searches a text only when `_may_say_away` lets it: a phrasing
    of `_AWAY` added without its word in `_AWAY_WORDS` would go unnoticed."""
    phrasings = _phrasings(_parser.parse(_AWAY.pattern, _AWAY.flags))
    assert len(phrasings) > 100
    for phrasing in phrasings:
        for text in (phrasing, phrasing.upper(), f"Heads-up: {phrasing.title()}, answers above."):
            assert _AWAY.search(text), text
            assert _may_say_away(text), text


@pytest.mark.parametrize(
    "text", ["I'm ſick today.", "İ'm on holiday next week.", "Out tomorrow, I'm on ıll leave."]
)
def test_letters_that_match_case_insensitively_without_lowering_alike_are_searched(
    text: str,
) -> None:
    assert _may_say_away(text)


def test_a_check_in_without_any_absence_word_is_not_searched() -> None:
    assert not _may_say_away(ANSWERS + "Shipped the importer; pairing with Ana on Friday.")

"""Replies written as prose rather than as numbered answers, read end to end by parse_reply.

The key results are those of an SRE team (availability, MTTR, services with SLOs), of a
self-serve onboarding team, and the teams/onboarding/coverage ones of test_fields.py.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from okrmail.questions import question_sets
from okrmail.replies.answers import KeyResultRef, ParsedReply, parse_reply
from tests.replies.test_fields import KRS

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
WEEKLY = question_sets(TEMPLATES)["weekly-checkin"].questions

SRE = [
    KeyResultRef(1, "Availability", Decimal("99.5"), Decimal("99.95"), "%", None),
    KeyResultRef(2, "Mean time to recovery", Decimal(90), Decimal(30), "minutes", None),
    KeyResultRef(3, "Services with SLOs", Decimal(4), Decimal(20), "services", None),
]
SELF_SERVE = [
    KeyResultRef(1, "Cut time-to-first-value to 2 days", Decimal(7), Decimal(2), "days", None),
    KeyResultRef(2, "Onboarding NPS", Decimal(20), Decimal(50), "points", None),
    KeyResultRef(3, "Self-serve setups", Decimal(0), Decimal(45), "accounts", None),
]


def parse(body: str, key_results: list[KeyResultRef]) -> ParsedReply:
    return parse_reply(body, WEEKLY, key_results)


def values(body: str, key_results: list[KeyResultRef] = KRS) -> dict[int, str | None]:
    """{kr: value read} of the reply's progress readings."""
    return {
        reading.kr_number: None if reading.value is None else str(reading.value)
        for reading in parse(body, key_results).progress
    }


def scores(body: str, key_results: list[KeyResultRef] = SRE) -> dict[int | None, int]:
    return {reading.kr_number: reading.score for reading in parse(body, key_results).confidence}


PRIYA = (
    "Hi, sorry I missed last week.\n\n"
    "Uptime is 99.93% this month, MTTR came down to 45 minutes (from 70), and we now have "
    "9 services with SLOs.\n"
    "I'm worried about MTTR - confidence maybe 5/10 there, the rest 8.\n"
    "Could use help getting the payments team to adopt SLOs.\n\n"
    "Thanks,\nPriya"
)


# -- values said in the key result's own words ----------------------------------------------


def test_a_value_followed_by_the_key_results_unit_and_title_words_is_read() -> None:
    # "Uptime" is another name of "Availability" (see test_acronyms.py).
    parsed = parse(PRIYA, SRE)
    assert values(PRIYA, SRE) == {1: "99.93", 2: "45", 3: "9"}
    assert [reading.span.text for reading in parsed.progress] == ["99.93%", "45", "9"]
    assert not any(said.startswith("no progress given") for said in parsed.missing)
    assert values("Also 9 services with SLOs.", SRE) == {3: "9"}
    # Any other word around the value says it is a number of something else.
    for body in (
        "we have 9 services without SLOs",
        "9 services with no SLOs",
        "we now have 9 services with SLO gaps",
        "talked to 9 services with SLOs",
    ):
        assert values(body, SRE) == {}, body


def test_a_value_of_a_title_with_a_hyphenated_compound_is_read() -> None:
    body = "Time to first value is down to 4 days, NPS 43, 21 self-serve setups."
    assert values(body, SELF_SERVE) == {1: "4", 2: "43", 3: "21"}
    for other in (
        "21 self-serve-ish setups",
        "21 non-self-serve setups",
        "we did 21 self-serve setups",
    ):
        assert values(other, SELF_SERVE) == {}, other


# -- a confidence for "the rest" ------------------------------------------------------------


def test_a_score_for_the_rest_is_each_other_key_results_score() -> None:
    assert scores(PRIYA) == {1: 8, 2: 5, 3: 8}
    parsed = parse(PRIYA, SRE)
    assert [reading.span.text for reading in parsed.confidence] == ["8", "5/10", "8"]
    assert not any(said.startswith("no confidence given") for said in parsed.missing)
    assert scores("MTTR confidence 5, 8 for the rest") == {1: 8, 2: 5, 3: 8}
    assert scores("KR2 confidence 5, others at 7/10") == {1: 7, 2: 5, 3: 7}
    # In the confidence answer, instead of one overall score beside KR2's.
    assert scores("1. KR1 99.9\n4. KR2 5, the rest 8") == {1: 8, 2: 5, 3: 8}
    assert scores("Confidence: KR2 5, KR3 6, the rest 8") == {1: 8, 2: 5, 3: 6}
    # Whose is 6? Not known, so neither is which key results "the rest" are.
    assert scores("KR1 99.9, confidence 6; KR2 confidence 5, the rest 8") == {2: 5}
    # "The rest of the team" are people, and "confidence 7" is said of no key result.
    assert scores("KR2 confidence 5, the rest of the team is at 8") == {2: 5}
    assert scores("Confidence 7, the rest 8") == {None: 7}


def test_a_key_result_named_without_a_score_before_the_rest_is_asked_for() -> None:
    # 8 is the others' score, not KR2's: KR2 is asked for, in the words written of it.
    parsed = parse("1. KR1 99.9\n4. KR2 unsure, the rest 8", SRE)
    assert scores("1. KR1 99.9\n4. KR2 unsure, the rest 8") == {1: 8, 3: 8}
    assert parsed.unclear == ['could not read a confidence for KR2 in "unsure"']
    assert [said for said in parsed.missing if "confidence" in said] == [
        "no confidence given for KR2: reply with a number from 1 to 10 (or high/medium/low)"
    ]
    assert scores("1. KR1 99.9\n4. KR2 no idea yet; others at 7/10") == {1: 7, 3: 7}
    assert scores("1. KR1 99.9\n4. KR2 unsure, the rest of the team 8") == {2: 8}


# -- high, medium, low in Spanish, Italian and Portuguese -----------------------------------


def test_a_word_for_high_medium_or_low_right_after_a_label_is_a_score() -> None:
    assert scores("1. KR1 99.9\n4. KR1 alta, KR2 media, KR3 baja") == {1: 8, 2: 5, 3: 2}
    assert scores("1. KR1 99.9\n4. KR1: alto; KR2: medio; KR3: bassa.") == {1: 8, 2: 5, 3: 2}
    assert scores("1. KR1 99.9\n4. KR1 alta\nKR2 baixa\nKR3 média") == {1: 8, 2: 2, 3: 5}
    parsed = parse("1. KR1 99.9\n4. KR1 alta, KR2 media, KR3 baja", SRE)
    assert parsed.unclear == []
    assert [reading.span.text for reading in parsed.confidence] == ["alta", "media", "baja"]


def test_such_a_word_with_more_after_it_is_still_asked_for() -> None:
    parsed = parse("1. KR1 99.9\n4. KR1 alta, KR2 media coverage", SRE)
    assert {reading.kr_number: reading.score for reading in parsed.confidence} == {1: 8}
    assert parsed.unclear == ['could not read a confidence for KR2 in "media coverage"']


# -- "except that", and values split by slashes ---------------------------------------------


def test_no_change_except_that_a_key_result_moved_is_said_of_the_others() -> None:
    expected = {1: "34", 2: "3", 3: "61"}  # the others keep their current values
    assert values("1. No change, except that KR2 is 3 days") == expected
    assert values("1. no change except that KR2 is 3 days") == expected
    assert values("1. no change except that KR2, now 3 days") == expected
    parsed = parse("1. No change, except that KR2 is 3 days", KRS)
    assert [reading.status for reading in parsed.progress] == ["no-change", "value", "no-change"]
    # "Apart from that" is "otherwise": no more is known of the others.
    assert values("1. No change, apart from that KR2 is 3 days") == {2: "3"}


def test_values_split_by_slashes_with_a_unit_are_one_per_key_result() -> None:
    assert values("1. 40 / 3 days", KRS[:2]) == {1: "40", 2: "3"}
    assert values("1. 40 / 3 days / 64%") == {1: "40", 2: "3", 3: "64"}


# -- answers numbered by key result instead of by question ----------------------------------

SLO = [
    KeyResultRef(1, "Availability 99.9%", Decimal("99.5"), Decimal("99.9"), "%", None),
    KeyResultRef(
        2, "Mean time to recovery to 30 minutes", Decimal(90), Decimal(30), "minutes", None
    ),
    KeyResultRef(3, "9 services with SLOs", Decimal(4), Decimal(9), "services", None),
]


def test_one_value_per_key_result_numbered_like_answers_is_progress() -> None:
    expected = {1: "99.93", 2: "45", 3: "9"}
    for body in (
        "1) 99.93%\n2) 45 minutes\n3) 9",
        "1) 99.93% 2) 45 minutes 3) 9",
        "Hi,\n\n1. 99.93%\n2. 45 min\n3. 9 services\n\nThanks,\nPriya",
    ):
        parsed = parse(body, SLO)
        assert values(body, SLO) == expected, body
        assert list(parsed.answers) == ["progress"], body
        assert parsed.unclear == [], body
    assert parse("1) 99.93%\n2) 45 minutes\n3) 9", SLO).answers["progress"].text == (
        "1) 99.93%\n2) 45 minutes\n3) 9"
    )
    # The greeting and sign-off are notes, as around answers to questions.
    assert parse("Hi,\n\n1. 99.93%\n2. 45 min\n3. 9\n\nThanks,\nPriya", SLO).notes == (
        "Hi,\n\nThanks,\nPriya"
    )


def test_answers_numbered_by_key_result_only_when_that_is_clear() -> None:
    # Bare numbers, more than a value, a value in another unit: answers to questions 1-3.
    for body in (
        "1. 99.93\n2. 45\n3. 9",
        "1) 99.93%\n2) 45 minutes\n3) 9 - payments team is next",
        "1) 99.93%\n2) 45 services\n3) 9",
        "1) 99.93%\n2) 45 minutes",
    ):
        parsed = parse(body, SLO)
        assert "blockers" in parsed.answers, body
    # As many answers as there are questions asked: one per question.
    two = [KeyResultRef(1, "Availability", Decimal("99.5"), Decimal("99.9"), "%", None), SLO[1]]
    single = question_sets(TEMPLATES)["weekly-checkin"].questions[:2]
    parsed = parse_reply("1) 99.93%\n2) 45 minutes", single, two)
    assert parsed.answers["blockers"].text == "45 minutes"

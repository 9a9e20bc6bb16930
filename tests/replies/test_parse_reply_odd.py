"""parse_reply never raises on odd input, such as key results not numbered 1..n."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from okrmail.questions import Question
from okrmail.replies.answers import KeyResultRef, parse_reply

PROGRESS = Question(
    "progress",
    "What progress have you made on each key result since your last check-in?",
    "kr_progress",
    ("progress", "update", "status"),
    "e.g. KR1 60%, KR2 38/45",
)
CONFIDENCE = Question(
    "confidence",
    "How confident are you of reaching each key result by the end of the quarter?",
    "confidence",
    ("confidence", "confident"),
)


def kr(number: int, title: str) -> KeyResultRef:
    return KeyResultRef(number, title, Decimal(0), Decimal(100), "", None)


@pytest.mark.parametrize(
    "key_results",
    [
        [kr(1, "Ship the new onboarding"), kr(1, "Grow weekly active teams")],
        [kr(2, "Ship the new onboarding"), kr(3, "Grow weekly active teams")],
        [kr(99, "Ship the new onboarding"), kr(3, "Grow weekly active teams")],
    ],
)
@pytest.mark.parametrize("body", ["1. 60%, 38\n2. 8", "1. 60%\n40%\n2. high", "60%, 38"])
def test_key_results_not_numbered_one_to_n(key_results: list[KeyResultRef], body: str) -> None:
    parsed = parse_reply(body, [PROGRESS, CONFIDENCE], key_results)
    numbers = {kr.number for kr in key_results}
    assert {reading.kr_number for reading in parsed.progress} <= numbers


def test_a_postscript_after_the_sign_off_is_no_part_of_the_last_answer() -> None:
    """The postscript named KR2, and the scores "8, 7, 6" above it were read as one."""
    body = "1. 40, 50\n2. 8, 7\n\nThanks!\nDana\n\nPS: forgot to say, KR2 is blocked on the HRIS."
    key_results = [kr(1, "Ship the new onboarding"), kr(2, "Grow weekly active teams")]
    parsed = parse_reply(body, [PROGRESS, CONFIDENCE], key_results)
    assert {r.kr_number: r.score for r in parsed.confidence} == {1: 8, 2: 7}
    assert parsed.answers["confidence"].text == "8, 7"
    assert [note.text for note in parsed.blockers] == [
        "PS: forgot to say, KR2 is blocked on the HRIS."
    ]


@pytest.mark.parametrize(
    "body",
    [
        "1. 40, 50\n2. 8, 7\n\nActually KR1 is 45, sorry.",  # glued onto the last answer
        "1. 40, 50\n2. 8, 7\n\nPS: correction, KR1 is 45.\n\nDana",
        "Correction: KR1 is 45\n\n1. 40, 50\n2. 8, 7",  # above the answers it corrects
    ],
)
def test_a_correction_outside_the_progress_answer_replaces_its_value(body: str) -> None:
    key_results = [kr(1, "Ship the new onboarding"), kr(2, "Grow weekly active teams")]
    parsed = parse_reply(body, [PROGRESS, CONFIDENCE], key_results)
    assert {r.kr_number: r.value for r in parsed.progress} == {1: 45, 2: 50}
    assert {r.kr_number: r.score for r in parsed.confidence} == {1: 8, 2: 7}


@pytest.mark.parametrize(
    "body",
    [
        "1. KR1 40, KR2 50\n\nActually KR1 is blocked by 3 vendors",  # no value given again
        "1. KR1 40, KR2 50. Sorry, KR1 took 2 weeks longer than planned",
        "1. KR1 40, KR2 50\n2. Sorry KR1 7, KR2 8",  # scores in the confidence answer
        "1. KR1 40, KR2 50\n2. 7, 8\n\nActually, KR1 is 3 weeks late",
    ],
)
def test_a_correction_word_near_a_key_result_without_a_new_value_changes_nothing(
    body: str,
) -> None:
    key_results = [kr(1, "Ship the new onboarding"), kr(2, "Grow weekly active teams")]
    parsed = parse_reply(body, [PROGRESS, CONFIDENCE], key_results)
    assert {r.kr_number: r.value for r in parsed.progress} == {1: 40, 2: 50}


@pytest.mark.parametrize(
    "body",
    [
        "KR1" + " " * 99_000 + "x",  # a label, then blanks a status pattern could split
        "KR1 is (" + " " * 99_000 + "x",
        "Blockers: none" + " " * 99_000 + "x",
        "Blockers: " + "-" * 99_000 + "x",
        "Confidence 8" + " " * 99_000 + "6",
        "no" + "\t" * 99_000 + "x",  # a question label, then tabs
        "Progress" + "\n" * 99_000 + "x",  # blank lines around an answer
        "KR1" + "\n-" * 49_000 + "x",  # a key result's label, then lines it takes in
        "-- " + "\n-" * 49_000 + "x",  # a delimiter, then text lines and none after them
        "1. KR1 " + "2026-1-1 " * 11_000,  # a date per number: a span each to skip
        "1. KR1 " + "+1 now " * 14_000,  # a change per number
        "1. " + "KR1 week 1, " * 8_000,  # a name per item, all on one line
        "1. " + "KR1 Nov 1. " * 9_000,  # a day per sentence
        "4. " + "KR1 14:00, " * 9_000,  # a time per score
        "1. " + ("KR1: " + "#4, " * 125 + "\n") * 200,  # a label, then clauses it takes in
        "1. KR1 " + "now 3, " * 14_000,  # where it stands now, clause after clause
        "1. KR1 " + "38, sorry 39, " * 7_000,  # a correction per clause
        "1. KR1 " + "4 new, 38 total, " * 5_800,  # what changed, then the total
        "1. KR1 38" + " sorry 39" * 11_000,  # corrections in one clause
        "1. KR1 " + "15. November, " * 7_000,  # a German day per clause
        "(confident " * 9_000 + ")",  # confidence said in brackets, all in one
        "1. KR1 " + "abc. d " * 14_000,  # full stops before small letters, no value said
        "1. " + "a e b1 " * 14_000,  # another language's "and", no value before it
        " e  Scores (confidence): " * 4_000,  # an "and" before blanked confidence talk
        "KR1 confidence 8, " * 5_500,  # confidence talk per key result, all on one line
        "KR2 3 days (not confident), " * 3_500,  # confidence talk after talk
        "1. KR1 " + "will be be be " * 7_000,  # a plan's words, and no value after them
        "Lena's key results" + " " * 99_000 + "x",  # a heading of ours, then blanks
        "questions" + " " * 99_000 + "x",
    ],
    ids=["label", "label-is", "label-none", "label-dashes", "score-gap", "tabs", "blank-lines",
         "continued", "delimiter", "dates", "changes", "names", "days", "times", "taken-in",
         "now", "corrections", "totals", "corrections-in-a-clause", "german-days",
         "brackets", "full-stops", "ands", "and-before-blanks", "talk-per-kr", "talk-after-talk",
         "plans", "heading-blanks", "questions-blanks"],
)  # fmt: skip
def test_long_runs_after_a_label_do_not_tie_up_a_worker(body: str) -> None:
    """Such runs are read in one pass: patterns that tried every way of splitting a run
    between two repeats, or steps that re-read what they had grown, took minutes here
    (the 100,000 characters read of a reply are meant to bound the work). A hang guard,
    not a speed goal."""
    started = time.perf_counter()
    parse_reply(body, [PROGRESS, CONFIDENCE], [kr(1, "Ship it"), kr(2, "Grow it")])
    assert time.perf_counter() - started < 10

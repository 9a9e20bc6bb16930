"""Our own corpus of replies to our prompt emails, read end to end.

Every tests/corpora/replies/NN-client-style.eml is a complete message as a mail client
sends it (Gmail, Outlook, Apple Mail, Thunderbird, phones, HTML-only, several charsets and
transfer encodings, quote headers in many languages) around the real text of our prompt.
Its .json file says what a person reading it would record: which question each answer
belongs to (a substring the answer must contain), each key result's progress and each
confidence score. Each message goes parse_message -> extract_body -> parse_reply.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from okrmail.emails import render
from okrmail.questions import Question, question_sets
from okrmail.replies.answers import KeyResultRef, ParsedReply, ProgressReading, parse_reply
from okrmail.replies.body import ReplyBody, extract_body, parse_message

PROJECT = Path(__file__).resolve().parents[2]
CORPUS = PROJECT / "tests" / "corpora" / "replies"
TEMPLATES = PROJECT / "templates"
MIN_CASES = 44
MIN_ANSWER_SHARE = 0.95


@dataclass(frozen=True)
class Case:
    name: str
    expect: dict[str, Any]
    questions: tuple[Question, ...]
    body: ReplyBody
    parsed: ParsedReply


def _key_results(expect: dict[str, Any]) -> list[KeyResultRef]:
    return [
        KeyResultRef(
            number=raw["number"],
            title=raw["title"],
            start=Decimal(raw["start"]),
            target=Decimal(raw["target"]),
            unit=raw["unit"],
            current=None if raw["current"] is None else Decimal(raw["current"]),
        )
        for raw in expect["key_results"]
    ]


@cache
def corpus() -> tuple[Case, ...]:
    cases = []
    for eml in sorted(CORPUS.glob("*.eml")):
        expect = json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))
        question_set = question_sets(TEMPLATES)[expect["question_set"]]
        questions = question_set.for_role(expect.get("role", "report"))
        body = extract_body(parse_message(eml.read_bytes()))
        parsed = parse_reply(body.text, questions, _key_results(expect))
        cases.append(Case(eml.stem, expect, questions, body, parsed))
    return tuple(cases)


def _table(rows: list[tuple[str, str, str, str]]) -> str:
    header = ("file", "what", "expected", "got")
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(3)]
    lines = [
        " | ".join(
            [*(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)), row[3]]
        )
        for row in [header, *rows]
    ]
    return "\n".join(lines)


def _flat(text: str, limit: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def test_the_corpus_is_complete() -> None:
    emls = sorted(CORPUS.glob("*.eml"))
    assert len(emls) >= MIN_CASES
    for eml in emls:
        assert re.fullmatch(r"\d\d-[a-z0-9-]+", eml.stem), eml.name
        assert eml.with_suffix(".json").exists(), f"{eml.name} has no expectation file"
    for case in corpus():
        known = {question.key for question in case.questions}
        assert set(case.expect["answers"]) <= known, case.name


def test_answers_land_on_the_right_question() -> None:
    failures: list[tuple[str, str, str, str]] = []
    total = 0
    for case in corpus():
        for key, expected in case.expect["answers"].items():
            total += 1
            answer = case.parsed.answers.get(key)
            if answer is None or expected not in answer.text:
                got = "(no answer)" if answer is None else _flat(answer.text)
                failures.append((case.name, key, _flat(expected, 30), got))
    share = 1 - len(failures) / total
    assert share >= MIN_ANSWER_SHARE, (
        f"{share:.1%} of {total} answers on the right question\n{_table(failures)}"
    )


def _progress_matches(expected: str, reading: ProgressReading) -> bool:
    if expected in ("done", "no-change"):
        return reading.status == expected
    if expected.endswith("%"):
        return reading.status == "percent" and reading.percent == Decimal(expected[:-1])
    return reading.status == "value" and reading.value == Decimal(expected)


def _describe(reading: ProgressReading) -> str:
    if reading.status == "percent":
        return f"{reading.percent}% ({reading.value}) from {reading.span.text!r}"
    return f"{reading.status} {reading.value} from {reading.span.text!r}"


def test_every_key_result_value_is_read_exactly() -> None:
    """Each stated value is read, and nothing is read for a key result the person did not
    mention (the quoted prompt's own examples, "KR1 60%", must never count)."""
    failures: list[tuple[str, str, str, str]] = []
    for case in corpus():
        expected: dict[str, str] = case.expect.get("progress", {})
        read = {str(reading.kr_number): reading for reading in case.parsed.progress}
        for number in sorted(set(expected) | set(read)):
            reading = read.get(number)
            want = expected.get(number, "(nothing)")
            if reading is None or number not in expected:
                got = "(nothing)" if reading is None else _describe(reading)
                failures.append((case.name, f"KR{number} progress", want, got))
            elif not _progress_matches(want, reading):
                failures.append((case.name, f"KR{number} progress", want, _describe(reading)))
    assert not failures, "\n" + _table(failures)


def test_every_confidence_is_read_exactly() -> None:
    failures: list[tuple[str, str, str, str]] = []
    for case in corpus():
        expected = {key: int(value) for key, value in case.expect.get("confidence", {}).items()}
        read = {
            "overall" if reading.kr_number is None else str(reading.kr_number): reading
            for reading in case.parsed.confidence
        }
        for key in sorted(set(expected) | set(read)):
            reading = read.get(key)
            got = "(nothing)" if reading is None else f"{reading.score} from {reading.span.text!r}"
            if reading is None or expected.get(key) != reading.score:
                failures.append((case.name, f"confidence {key}", str(expected.get(key)), got))
    assert not failures, "\n" + _table(failures)


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def test_the_quoted_prompt_never_becomes_an_answer() -> None:
    failures: list[tuple[str, str, str, str]] = []
    for case in corpus():
        ours = [_words(question.text) for question in case.questions]
        ours += [_words(question.hint) for question in case.questions if question.hint]
        ours.append(_words("Please type your reply above this line"))
        for key, answer in case.parsed.answers.items():
            leaked = next((text for text in ours if text in _words(answer.text)), None)
            if leaked:
                failures.append((case.name, key, "no prompt text", _flat(leaked)))
        leaked = next((text for text in ours if text in _words(case.parsed.notes)), None)
        if leaked:
            failures.append((case.name, "notes", "no prompt text", _flat(leaked)))
    assert not failures, "\n" + _table(failures)


@pytest.mark.parametrize("case", corpus(), ids=lambda case: case.name)
def test_spans_point_into_the_body(case: Case) -> None:
    text = case.body.text
    spans = [answer.span for answer in case.parsed.answers.values()]
    spans += [reading.span for reading in case.parsed.progress]
    spans += [reading.span for reading in case.parsed.confidence]
    spans += [note.span for note in case.parsed.blockers + case.parsed.help_requests]
    for span in spans:
        assert 0 <= span.start <= span.end <= len(text)
        assert text[span.start : span.end] == span.text


# -- focused checks on the same pipeline ----------------------------------------------------

WEEKLY = question_sets(TEMPLATES)["weekly-checkin"].questions
TWO_KRS = [
    KeyResultRef(
        1, "Raise weekly active teams from 30 to 45", Decimal(30), Decimal(45), "teams", Decimal(34)
    ),
    KeyResultRef(2, "Cut median onboarding time to 1 day", Decimal(5), Decimal(1), "days", None),
]


def quoted_prompt() -> str:
    """Our weekly prompt for TWO_KRS, as Gmail quotes it."""
    context = {
        "person": {"name": "Dana Reyes", "first_name": "Dana", "email": "dana@example.com"},
        "counterpart": {"name": "Sam Okafor", "email": "sam@example.com"},
        "role": "report",
        "meeting": {"local_when": "Tuesday 17 November 2026, 10:00", "local_day": "Tue 17 Nov"},
        "question_set": {"name": "weekly-checkin", "title": "Weekly check-in", "description": ""},
        "questions": [
            {"number": number, "key": question.key, "text": question.text, "hint": question.hint}
            for number, question in enumerate(WEEKLY, start=1)
        ],
        "key_results": [
            {
                "number": 1,
                "cycle": "2026-Q4",
                "title": TWO_KRS[0].title,
                "progress_text": "34 of 45 teams (27%)",
            },
            {
                "number": 2,
                "cycle": "2026-Q4",
                "title": TWO_KRS[1].title,
                "progress_text": "no update yet (start 5, target 1 days)",
            },
        ],
        "marker": "##- Please type your reply above this line -##",
        "organisation": "Example Org",
    }
    _, text, _ = render(TEMPLATES, "prompt", context)
    quote = "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
    return f"On Mon, 16 Nov 2026 at 09:00, okrmail <checkins@okr.example.com> wrote:\n{quote}\n"


def test_a_reply_that_only_quotes_the_prompt_says_nothing() -> None:
    parsed = parse_reply(quoted_prompt(), WEEKLY, TWO_KRS)
    assert parsed.answers == {}
    assert (parsed.notes, parsed.progress, parsed.confidence, parsed.blockers) == ("", [], [], [])
    assert parsed.missing == [
        "no progress given for KR1 (Raise weekly active teams from 30 to 45): reply with a "
        'percentage (60%), a value against the target of 45, "done" or "no change"',
        "no progress given for KR2 (Cut median onboarding time to 1 day): reply with a "
        'percentage (60%), a value against the target of 1, "done" or "no change"',
        "no confidence given for KR1: reply with a number from 1 to 10 (or high/medium/low)",
        "no confidence given for KR2: reply with a number from 1 to 10 (or high/medium/low)",
    ]


def test_free_text_is_kept_and_still_read() -> None:
    body = "Rough week, I'm stuck on SSO. Teams at 39 of 45.\n\nDana\n\n" + quoted_prompt()
    parsed = parse_reply(body, WEEKLY, TWO_KRS)
    assert parsed.answers == {}
    assert parsed.notes == "Rough week, I'm stuck on SSO. Teams at 39 of 45.\n\nDana"
    assert [(reading.kr_number, reading.value) for reading in parsed.progress] == [(1, Decimal(39))]
    assert [note.text for note in parsed.blockers] == ["Rough week, I'm stuck on SSO."]
    assert parsed.missing[0].startswith("no progress given for KR2")


def test_what_cannot_be_read_is_said_in_unclear() -> None:
    body = "1. KR1 39/45, KR2 about halfway-ish\n4. KR1 8, KR2 dunno\n\n" + quoted_prompt()
    parsed = parse_reply(body, WEEKLY, TWO_KRS)
    assert parsed.unclear == [
        'could not read a value for KR2 in "about halfway-ish"',
        'could not read a confidence for KR2 in "dunno"',
    ]


def test_a_single_question_set_takes_free_text_as_its_answer() -> None:
    [topic] = question_sets(TEMPLATES)["coaching-prep"].questions
    parsed = parse_reply("How do I say no to sales?\n\nThanks,\nTom", [topic], [])
    assert parsed.answers[topic.key].text == "How do I say no to sales?"
    assert parsed.answers[topic.key].how == "single-question"
    assert parsed.notes == "Thanks,\nTom"


def test_a_very_long_reply_is_read_only_in_part() -> None:
    body = "1. KR1 39/45\n" + "x" * 200_000
    parsed = parse_reply(body, WEEKLY, TWO_KRS)
    assert parsed.progress[0].value == Decimal(39)
    assert parsed.unclear[-1].startswith("the reply is very long")


def test_notes_worth_showing_are_the_free_paragraphs_not_the_courtesies() -> None:
    """What a reply holds outside its answers is shown to the manager only when it says
    something: the free paragraphs of the corpus, not its greetings, sign-offs, names
    and "answers below"."""
    from okrmail.replies.courtesy import without_courtesies

    noted = [case for case in corpus() if case.parsed.notes.strip()]
    assert len(noted) >= 20  # the corpus is full of courtesies: the test has teeth
    shown = {case.name for case in noted if without_courtesies(case.parsed.notes)}
    free = {case.name for case in corpus() if case.name.endswith("free-paragraph")}
    assert len(free) >= 3
    assert shown == free


def test_free_text_statuses_and_scores_out_of_ten_are_confidence_not_progress() -> None:
    body = (
        "Feeling good about KR1 (8/10), worried about KR2 (3/10). Nothing blocking.\n\n"
        + quoted_prompt()
    )
    parsed = parse_reply(body, WEEKLY, TWO_KRS)
    assert parsed.progress == [] and parsed.blockers == []
    assert [(reading.kr_number, reading.score) for reading in parsed.confidence] == [(1, 8), (2, 3)]


def test_a_win_in_a_free_paragraph_is_noted_but_not_one_in_a_blocker_answer() -> None:
    free = (
        "KR1 is at 41/45. Biggest win was the Acme renewal. Still blocked on legal for KR2.\n\n"
        + quoted_prompt()
    )
    parsed = parse_reply(free, WEEKLY, TWO_KRS)
    assert [note.text for note in parsed.wins] == ["Biggest win was the Acme renewal."]
    assert [note.text for note in parsed.blockers] == ["Still blocked on legal for KR2."]
    assert free[parsed.wins[0].span.start : parsed.wins[0].span.end] == parsed.wins[0].text

    numbered = "1. KR1 41/45, and we shipped SSO.\n2. Stuck since we launched the new plans.\n\n"
    parsed = parse_reply(numbered + quoted_prompt(), WEEKLY, TWO_KRS)
    assert [note.text for note in parsed.wins] == ["KR1 41/45, and we shipped SSO."]
    assert [note.text for note in parsed.blockers] == ["Stuck since we launched the new plans."]


def test_the_recap_marker_holds_the_word_looked_for_first() -> None:
    from okrmail.prompting import RECAP_MARKER
    from okrmail.replies.answers import _RECAP_WORD

    assert _RECAP_WORD in re.findall(r"\w+", RECAP_MARKER.lower())

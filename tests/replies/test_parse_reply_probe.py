"""What a probe with realistic replies found read wrong, read end to end by parse_reply.

Each reply answers the weekly check-in (numbered answers: 1 progress, 4 confidence) for
the key results of test_fields.py, and a few of other units where the phrasing needs one.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from okrmail.questions import question_sets
from okrmail.replies.answers import KeyResultRef, ParsedReply, parse_reply
from tests.replies.test_fields import KRS

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
WEEKLY = question_sets(TEMPLATES)["weekly-checkin"].questions

LATENCY = KeyResultRef(1, "Cut p95 latency to 300 ms", Decimal(600), Decimal(300), "ms", None)
REVENUE = KeyResultRef(1, "Close €500k of new deals", Decimal(0), Decimal(500_000), "EUR", None)


def parse(body: str, key_results: list[KeyResultRef] | None = None) -> ParsedReply:
    return parse_reply(body, WEEKLY, KRS if key_results is None else key_results)


def values(body: str, key_results: list[KeyResultRef] | None = None) -> dict[int, str | None]:
    """{kr: value read} of the reply's progress readings."""
    return {
        reading.kr_number: None if reading.value is None else str(reading.value)
        for reading in parse(body, key_results).progress
    }


def scores(body: str) -> dict[int | None, int]:
    return {reading.kr_number: reading.score for reading in parse(body).confidence}


# -- confidence -----------------------------------------------------------------------------


def test_an_arrow_between_scores_says_where_the_score_went() -> None:
    assert scores("1. KR1 40\n4. KR1 9 -> 7") == {1: 7}
    assert scores("1. KR1 40\n4. KR1 9->7, KR2 5 → 6") == {1: 7, 2: 6}
    assert scores("1. KR1 40\n4. KR1 9/10 -> 7/10, KR2 high => medium") == {1: 7, 2: 5}
    # Unlabelled, a change of one score is not a score for each of two key results.
    assert scores("1. KR1 40\n4. 9 -> 7") == {None: 7}
    assert scores("1. KR1 40\n4. Confidence went 8 -> 6 -> 5") == {None: 5}


def test_a_score_edited_or_struck_through_gives_way_to_the_one_after_it() -> None:
    assert scores("1. KR1 40\n4. KR1 ~~8~~ 7") == {1: 7}
    assert scores("1. KR1 40\n4. KR1 8 (edit: 7)") == {1: 7}
    assert scores("1. KR1 40\n4. KR1 8/10 (edit: 7/10), KR2 5") == {1: 7, 2: 5}
    assert scores("1. KR1 40\n4. KR1 8, sorry 7, KR2 ~~high~~ medium") == {1: 7, 2: 5}
    assert scores("1. KR1 40\n4. 8 (edit: 7)") == {None: 7}
    parsed = parse("1. KR1 40\n4. KR1 ~~8~~ 7")
    assert [reading.span.text for reading in parsed.confidence] == ["7"]
    # A number after a correction word that is not a score alone takes nothing back.
    assert scores("1. KR1 40\n4. KR1 8 (actually 7 weeks in)") == {1: 8}


# -- progress -------------------------------------------------------------------------------


def test_a_value_wins_over_the_share_in_brackets_after_it() -> None:
    assert values("1. KR1 40 (89%)") == {1: "40"}
    assert values("1. KR1 40 teams (67% of the way)") == {1: "40"}
    assert values("1. KR1 40 (~89%), KR2 3 days (50%)") == {1: "40", 2: "3"}
    # Not a number of something else, nor a share alone.
    assert values("1. KR1 2 weeks late (60%)") == {1: "39"}
    assert values("1. KR1 60%") == {1: "39"}


def test_a_value_said_of_last_week_is_not_progress_now() -> None:
    assert values("1. KR2 last week 4 days, this week 3") == {2: "3"}
    assert values("1. KR1 36 teams last week, 40 now") == {1: "40"}
    # Alone, a past value is asked for, saying why.
    parsed = parse("1. KR1 was 36 last week")
    assert parsed.progress == []
    assert parsed.unclear[0].startswith('KR1: "was 36 last week" reads as where it stood before')
    assert values("1. KR2 last week 4 days") == {}
    # Not a value compared with last week's, nor a count called "last".
    assert values("1. KR1 41 vs last week's 38") == {1: "41"}
    assert values("1. KR1 last count 38") == {1: "38"}


def test_a_count_of_other_things_gives_way_to_the_total_said_after_it() -> None:
    assert values("1. KR1 closed 2 deals, total €240k", [REVENUE]) == {1: "240000"}
    assert values("1. KR1 closed 2 deals, now at €240k", [REVENUE]) == {1: "240000"}
    assert values("1. KR1 onboarded 2 squads, total 40") == {1: "40"}
    # In the key result's own unit the count is the value; a total of other things is not.
    assert values("1. KR1 38 teams, total 140 users") == {1: "38"}


def test_a_value_in_its_unit_wins_over_a_ratio_of_something_else_after_it() -> None:
    assert values("1. KR1 420 ms on 3 of 4 regions", [LATENCY]) == {1: "420"}
    assert values("1. KR1 0.42 s in 3/4 regions", [LATENCY]) == {1: "420"}
    assert values("1. KR2 2 days for 3 of 5 squads") == {2: "2"}
    # Against the target, the ratio is the value.
    assert values("1. KR1 2 teams churned but 38 of 45 active") == {1: "38"}


def test_no_change_except_a_key_result_is_said_of_the_others() -> None:
    expected = {1: "34", 2: "3", 3: "61"}  # the others keep their current values
    assert values("1. no change except KR2, now 3 days") == expected
    assert values("1. no change except for KR2 which is at 3 days") == expected
    assert values("1. all done except KR2: 3 days") == {1: "45", 2: "3", 3: "80"}
    # The key result excepted is not unchanged: without a value of its own it is asked for.
    parsed = parse("1. no change except KR2")
    assert {reading.kr_number: reading.status for reading in parsed.progress} == {
        1: "no-change",
        3: "no-change",
    }
    assert parsed.unclear[0].startswith("could not read a value for KR2")


def test_no_change_then_a_comma_before_except_is_said_of_the_others_too() -> None:
    expected = {1: "34", 2: "3", 3: "61"}
    assert values("1. No change, except KR2 is now 3 days") == expected
    assert values("1. no change; except for KR2, now 3 days") == expected
    assert values("1. All done, except KR3 at 70%") == {1: "45", 2: "1", 3: "70"}
    parsed = parse("1. No change, except KR2 is now 3 days")
    assert [reading.span.text for reading in parsed.progress] == ["No change", "3", "No change"]
    assert parsed.missing == [
        "no confidence given for KR1: reply with a number from 1 to 10 (or high/medium/low)",
        "no confidence given for KR2: reply with a number from 1 to 10 (or high/medium/low)",
        "no confidence given for KR3: reply with a number from 1 to 10 (or high/medium/low)",
    ]


def test_a_value_edited_or_struck_through_gives_way_to_the_one_after_it() -> None:
    assert values("1. KR1 38 (edit: 40)") == {1: "40"}
    assert values("1. KR1 38 teams (edit: 40 teams)") == {1: "40"}
    assert values("1. KR1 38, edited to 40") == {1: "40"}
    assert values("1. KR1 ~~38~~ 40") == {1: "40"}
    assert values("1. KR1 ~~38/45~~ 40/45") == {1: "40"}
    # An edit of something else is no correction of the value.
    assert values("1. KR1 38 (edited 3 docs)") == {1: "38"}


def test_list_markers_inside_a_line_name_the_key_results_in_order() -> None:
    expected = {1: "40", 2: "3", 3: "64"}
    assert values("1. (1) 40 (2) 3 days (3) 64%") == expected
    assert values("1. a) 40 b) 3 days c) 64%") == expected
    assert values("1. 1) 40 2) 3 days 3) 64%") == expected
    assert values("1. #1 28 #2 3 days") == {1: "28", 2: "3"}
    # The number of a name is no marker.
    assert values("1. PR #1 merged, KR1 38") == {1: "38"}


def test_list_markers_each_opening_its_own_line_name_the_key_results_in_order() -> None:
    expected = {1: "28", 2: "3", 3: "64"}
    assert values("1.\n#1 28\n#2 3 days\n#3 64%") == expected
    assert values("1. #1 28\n#2 3 days\n\n#3 64%") == expected
    assert values("1.\n(1) 28\n(2) 3 days\n(3) 64%") == expected  # not 2 of "(2)"
    assert values("1.\na) 28\nb) 3 days\nc) 64%") == expected
    assert scores("1. KR1 40\n4.\n#1 8\n#2 6\n#3 7") == {1: 8, 2: 6, 3: 7}
    # Only counting up from the first: "#3" after other lines is the number of a name.
    assert values("1.\n#2 28\n#3 64%") == {}
    assert values("1. KR1 40\nPR #2 merged\n#3 64%") == {1: "40"}


def test_one_value_per_key_result_split_by_slashes_is_read_in_order() -> None:
    expected = {1: "44", 2: "2", 3: "71"}
    assert values("1. 44 / 2 / 71") == expected
    assert values("1. 44/2/71.") == expected
    assert values("1. 40 teams / 3 days / 64%") == {1: "40", 2: "3", 3: "64"}
    assert values("1. 40 / 3 weeks / 64") == {1: "40", 2: "21", 3: "64"}
    two = [KRS[0], KeyResultRef(2, "Reach 80% test coverage", Decimal(55), Decimal(80), "%", None)]
    assert values("1. 40 / 64%", two) == {1: "40", 2: "64"}
    # Ratios stay ratios: against a target, two values without units, a count of something
    # else, a date, or not one value per key result.
    assert values("1. 38/45 / 2 / 71") == {1: "38"}
    assert values("1. 38/45", KRS[:2]) == {1: "38"}
    assert values("1. 40 / 3", KRS[:2]) == {}
    assert values("1. 40 / 3 done / 64") == {}
    assert values("1. 11/15/2026") == {}
    assert values("1. 44 / 2 / 71 / 5") == {}


def test_a_day_and_month_after_an_event_is_a_date_not_a_ratio() -> None:
    parsed = parse("1. KR3 kickoff 11/20")
    assert parsed.progress == []  # not 11%: asked for
    assert parsed.unclear == ['could not read a value for KR3 in "kickoff 11/20"']
    assert values("1. KR1 38, demo 12/3") == {1: "38"}
    assert values("1. KR1 7/12") == {1: "7"}  # alone, still a value against a target


def test_a_time_in_two_units_is_read_whole() -> None:
    toil = KeyResultRef(1, "Cut weekly toil to 2 hours", Decimal(10), Decimal(2), "hours", None)
    assert values("1. KR1 3h 30m", [toil]) == {1: "3.5"}
    assert values("1. KR1 1 hour 15 min", [toil]) == {1: "1.25"}
    assert values("1. KR2 2 days 12 hours") == {2: "2.5"}
    # A larger unit after a smaller one is not part of the same time.
    assert values("1. KR2 3 days 2 weeks") == {2: "3"}


def test_a_time_in_two_units_joined_by_and_is_read_whole_and_shown_whole() -> None:
    toil = KeyResultRef(1, "Cut weekly toil to 2 hours", Decimal(10), Decimal(2), "hours", None)
    assert values("1. KR2 2 days and 4 hours") == {2: "2.1667"}
    assert values("1. KR2 2 days & 12 hours") == {2: "2.5"}
    assert values("1. 40, 2 days and 12 hours, 64%") == {1: "40", 2: "2.5", 3: "64"}
    # The confirmation quotes the whole time it read, not its first number.
    for body, key_results, span in (
        ("1. KR1 3h 30m", [toil], "3h 30m"),
        ("1. KR2 2d 4h", None, "2d 4h"),
        ("1. KR2 2 days and 4 hours", None, "2 days and 4 hours"),
    ):
        assert [reading.span.text for reading in parse(body, key_results).progress] == [span]
    # A larger unit after "and" is something else.
    assert values("1. KR2 3 days and 2 weeks") == {2: "3"}


def test_a_change_in_words_then_where_it_went_reads_where_it_went() -> None:
    assert values("1. KR1 up 10% this week to 42") == {1: "42"}
    assert values("1. KR2 down 1 day since last week to 3 days") == {2: "3"}
    # A change alone is still asked for.
    assert values("1. KR1 up 3 teams, to 2 more regions") == {}


# -- a free paragraph -----------------------------------------------------------------------


def test_a_value_stated_plainly_in_a_free_paragraph_is_read() -> None:
    expected = {1: "40", 2: "3", 3: "64"}
    assert values("Teams 40, onboarding 3 days, coverage 64%.") == expected
    assert values("Hi Anna,\n\nTeams 40, onboarding 3 days, coverage 64%.\n\nThanks,\nBob") == (
        expected
    )
    assert values("We are at 41 active teams.") == {1: "41"}
    assert values("Onboarding takes 3 days now, teams 40 (up from 38).") == {1: "40", 2: "3"}
    parsed = parse("We are at 41 active teams.")
    assert [reading.span.text for reading in parsed.progress] == ["41"]
    assert not any(said.startswith("no progress given for KR1") for said in parsed.missing)


def test_a_number_of_something_else_in_a_free_paragraph_is_not_progress() -> None:
    # Counts of other things, dates, times, durations of other things and scores: the
    # confirmation asks for the value instead.
    for body in (
        "Talked to 5 teams yesterday.",
        "Team of 5 people",
        "Teams call on 3 Dec",
        "Teams sync at 10:30",
        "Teams at 3pm",
        "Onboarding in 2 weeks",
        "Onboarding 3 days late",
        "Onboarding 2 new hires this week",
        "Spent 3 days on onboarding docs",
        "Teams 8/10",
        "teams was 38",
    ):
        assert values(body) == {}, body
    assert values("Teams 40, confidence 7") == {1: "40"}
    assert scores("Teams 40, confidence 7") == {None: 7}


# -- one score for several key results ------------------------------------------------------


def test_a_score_said_of_key_results_by_their_numbers_is_each_ones() -> None:
    expected = {1: 8, 2: 2, 3: 8}
    assert scores("1) KR1 40\n4) high on 1 and 3, low on 2") == expected
    assert scores("1) KR1 40\n4) high for 1+3, low for 2 (vendor)") == expected
    assert scores("1) KR1 40\n4) 8 for 1/3, 2 for 2") == expected
    parsed = parse("1) KR1 40\n4) high on 1 and 3, low on 2")
    assert [reading.span.text for reading in parsed.confidence] == ["high", "low", "high"]
    # A number that is no key result's, or a score said of none: as before.
    assert scores("1) KR1 40\n4) 8 for 2 weeks") == {None: 8}
    assert scores("1) KR1 40\n4) pretty high for 1 and 2. 3 is low") == {None: 8}


def test_a_score_after_labels_joined_by_and_or_a_slash_is_each_ones() -> None:
    expected = {1: 8, 2: 2, 3: 8}
    assert scores("1. KR1 40\n4. high on KR1 and KR3, low on KR2") == expected
    assert scores("1. KR1 40\n4. KR1 & KR3 high, KR2 low") == expected
    assert scores("1. KR1 40\n4. KR1/KR3: 8, KR2: 2") == expected
    assert scores("1. KR1 40\n4. KR1, KR3: 8; KR2: 2") == expected
    assert scores("1. KR1 40\n4. KR1 y KR3 alta, KR2 baja") == expected
    assert scores("1. KR1 40\n4. KR1 und KR3 hoch, KR2 niedrig") == expected
    assert parse("1. KR1 40\n4. KR1 and KR3 high, KR2 low").unclear == []
    assert values("1. KR1 and KR3 done, KR2 3 days") == {1: "45", 2: "3", 3: "80"}
    # A comma inside a sentence ends what is said of the label before it.
    assert values("1. Mostly on KR1, KR2 is at 3 days") == {2: "3"}


def test_labels_joined_before_a_list_of_one_value_each_take_them_in_order() -> None:
    assert values("1. KR1 and KR3 are 44 and 25 deals") == {1: "44", 3: "25"}
    assert values("1. KR1 & KR3: 45 and 20") == {1: "45", 3: "20"}
    assert values("1. KR1, KR2 and KR3: 40, 3 and 70%") == {1: "40", 2: "3", 3: "70"}
    assert values("1. 44 and 25 on KR1 and KR3") == {1: "44", 3: "25"}
    assert scores("1. KR1 40\n4. Confidence KR1 and KR3 8 and 6") == {1: 8, 3: 6}
    assert scores("1. KR1 40\n4. KR1 and KR3: 8 and 6, KR2 3") == {1: 8, 2: 3, 3: 6}
    # Neither one nor one each: not shared, the first label's value is asked for.
    assert 1 not in values("1. KR1 and KR3: 40, 41 and 70%")
    # One value or score is still each one's.
    assert values("1. KR1 and KR3 at 44") == {1: "44", 3: "44"}
    assert scores("1. KR1 40\n4. KR1/KR3: 8") == {1: 8, 3: 8}


def test_the_next_answer_numbered_in_another_style_is_still_the_next_answer() -> None:
    parsed = parse("1. KR1 40\n2. none\n3. none\n4) high on 1 and 3, low on 2")
    assert parsed.answers["confidence"].text == "high on 1 and 3, low on 2"
    assert scores("1. KR1 40\n2. none\n3. none\n4) high on 1 and 3, low on 2") == {1: 8, 2: 2, 3: 8}
    # A list under an answer counts from 1, in its own style: it stays in that answer.
    parsed = parse("1.\n1) 40\n2) 3 days\n3) 64%\n2. Blocked on legal")
    assert parsed.answers["progress"].text == "1) 40\n2) 3 days\n3) 64%"
    assert values("1.\n1) 40\n2) 3 days\n3) 64%\n2. Blocked on legal") == {1: "40", 2: "3", 3: "64"}


# -- a labelled field after the last answer -------------------------------------------------

BIWEEKLY = question_sets(TEMPLATES)["biweekly-checkin"].questions
SOFIA = (
    "1. KR1 4/5, KR2 erledigt\n"
    "2. Der Vertrag mit Alpenblick ist unterschrieben.\n"
    "3. Wir warten auf die Übersetzungen der Hilfeseiten.\n"
    "4. Ja, passt.\n"
    "5. Nichts, danke.\n\n"
    "Zuversicht: hoch\n\n"
    "Viele Grüße\nSofia"
)


def test_a_field_of_a_question_not_asked_after_the_last_answer_is_no_part_of_it() -> None:
    parsed = parse_reply(SOFIA, BIWEEKLY, KRS[:2])
    assert parsed.answers["help"].text == "Nichts, danke."
    assert parsed.notes == "Zuversicht: hoch\nViele Grüße\nSofia"
    assert [(reading.kr_number, reading.score) for reading in parsed.confidence] == [(None, 8)]


def test_a_field_of_a_question_not_numbered_after_an_answer_answers_that_question() -> None:
    parsed = parse(
        "1. KR1 40\n2. Legal review\n3. Call legal on Monday\n\nConfidence: KR1 8, KR2 5"
    )
    assert parsed.answers["actions"].text == "Call legal on Monday"
    assert parsed.answers["confidence"].text == "KR1 8, KR2 5"
    assert scores("1. KR1 40\n2. Legal review\n3. Call legal\n\nConfidence: KR1 8, KR2 5") == {
        1: 8,
        2: 5,
    }
    # Answered by number too: part of the answer it follows, as before.
    body = "1. KR1 40\n2. Legal\n3. Call legal\n\nConfidence: better now\n4. KR1 8"
    assert parse(body).answers["actions"].text == "Call legal\n\nConfidence: better now"
    # Not after a blank line: part of the answer.
    assert parse("1. KR1 40\n2. Legal\nBlocked: waiting").answers["blockers"].text == (
        "Legal\nBlocked: waiting"
    )


# -- sloppy words ---------------------------------------------------------------------------


def test_same_after_a_key_result_is_no_change() -> None:
    parsed = parse("1. KR1 up 3 to 42; KR2 same; KR3 68")
    assert [(reading.kr_number, reading.status) for reading in parsed.progress] == [
        (1, "value"),
        (2, "no-change"),
        (3, "value"),
    ]
    assert parsed.unclear == []
    assert values("1. about the same.") == {1: "34", 2: None, 3: "61"}
    # Not the same as something else.
    assert values("1. KR1 42, KR2 same problem with the vendor") == {1: "42"}


def test_a_score_with_ish_is_that_score() -> None:
    assert scores("1. KR1 40\n4. 7ish for all") == {None: 7}
    assert scores("1. KR1 40\n4. KR1 8ish, KR2 5") == {1: 8, 2: 5}


def test_a_value_stuck_at_a_number_is_no_blocker() -> None:
    body = "all good, teams at 40 now, coverage stuck at 63%. need help with the flaky tests"
    parsed = parse(body)
    assert parsed.blockers == []
    assert [note.text for note in parsed.help_requests] == ["need help with the flaky tests"]
    assert [note.text for note in parse("2. stuck on the vendor API").blockers] == [
        "stuck on the vendor API"
    ]


def test_scores_split_by_slashes_are_one_per_key_result() -> None:
    assert scores("1. KR1 40\n4. 8/6/7") == {1: 8, 2: 6, 3: 7}
    assert scores("KR1: 42 teams\nKR2: still 3 days\n\nConfidence 8/6/7.") == {1: 8, 2: 6, 3: 7}
    # A score out of ten, or a date: not one per key result.
    assert scores("1. KR1 40\n4. 8/6/10") == {None: 6}
    assert scores("1. KR1 40\n4. confident, call on 1/5/2026") == {}


def test_a_postscript_after_a_blank_line_is_no_part_of_the_last_answer() -> None:
    body = "1. KR1 40, KR2 3 days, KR3 62%\n4. 8, 5 and 7\n\nPS KR2 might slip, the vendor is late"
    parsed = parse(body)
    assert parsed.answers["confidence"].text == "8, 5 and 7"
    assert parsed.notes == "PS KR2 might slip, the vendor is late"
    # On the next line, it may still be part of the answer it follows.
    assert parse("1. KR1 40\n2. Legal\nPS: they promised Monday").answers["blockers"].text == (
        "Legal\nPS: they promised Monday"
    )


def test_numbers_split_by_slashes_inside_a_sentence_are_no_scores() -> None:
    assert scores("1. KR1 40\n4. we met on 3/4/5 with customers") == {}
    # The whole answer, or after a colon: one score per key result, as before.
    assert scores("1. KR1 40\n4. 7/8/6") == {1: 7, 2: 8, 3: 6}
    assert scores("1. KR1 40\n4. Confidence: 7/8/6.") == {1: 7, 2: 8, 3: 6}

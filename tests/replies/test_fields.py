"""Reading progress, confidence, blockers and help out of one answer's text."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from okrmail.replies.fields import (
    KeyResultRef,
    ProgressReading,
    parse_number,
    read_confidence,
    read_progress,
    says_nothing,
    sentences_with,
    value_of,
    whole_note,
)
from okrmail.replies.numbers import NUMBER_RE

TEAMS = KeyResultRef(
    1, "Raise weekly active teams from 30 to 45", Decimal(30), Decimal(45), "teams", Decimal(34)
)
ONBOARDING = KeyResultRef(
    2, "Cut median onboarding time from 5 days to 1 day", Decimal(5), Decimal(1), "days", None
)
COVERAGE = KeyResultRef(
    3,
    "Raise test coverage of the billing service to 80%",
    Decimal(55),
    Decimal(80),
    "%",
    Decimal(61),
)
KRS = [TEAMS, ONBOARDING, COVERAGE]


def progress(text: str, *, listed: bool = True) -> dict[int, ProgressReading]:
    scan = read_progress(text, KRS, listed=listed)
    for reading in scan.readings:
        assert text[reading.span.start : reading.span.end] == reading.span.text
    return {reading.kr_number: reading for reading in scan.readings}


def values(text: str, *, listed: bool = True) -> dict[int, tuple[str, str | None]]:
    """{kr: (status, value)} for compact assertions."""
    return {
        number: (reading.status, None if reading.value is None else str(reading.value))
        for number, reading in progress(text, listed=listed).items()
    }


def scores(text: str, *, answer: bool = True) -> dict[int | None, int]:
    scan = read_confidence(text, KRS, answer=answer)
    for reading in scan.readings:
        assert text[reading.span.start : reading.span.end] == reading.span.text
    return {reading.kr_number: reading.score for reading in scan.readings}


# -- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("38", "38"),
        ("12,500", "12500"),
        ("1,250,000", "1250000"),
        ("1,5", "1.5"),
        ("2.5", "2.5"),
        ("40k", "40000"),
        ("1.2m", "1200000"),
        ("1.2M", "1200000"),
        ("$1.2m", "1200000"),
        ("€40k", "40000"),
        ("3bn", "3000000000"),
        # As most of Europe writes them.
        ("1.200.000", "1200000"),
        ("1.200,50", "1200.5"),
        ("1\u202f200,5", "1200.5"),
        ("610 000", "610000"),
        ("1 200 000,75", "1200000.75"),
        ("2,5 Mio", "2500000"),
        ("0,875 Mio", "875000"),
        ("1,250 Mio", "1250000"),
        ("1,2 Millionen", "1200000"),
        ("2,5 millions", "2500000"),
        ("1,2 millones", "1200000"),
        ("1.250 Tsd.", "1250000"),
        ("2 Milliarden", "2000000000"),
        ("1.2 million", "1200000"),
        ("1.250 million", "1250000"),  # English: a decimal point, not 1.25 billion
        ("3 Mrd", "3000000000"),
        # One dot: a decimal point, unless the key result says otherwise (`value_of`).
        ("1.500", "1.5"),
    ],
)
def test_numbers(text: str, value: str) -> None:
    assert parse_number(text) == Decimal(value)


def test_one_separator_before_three_digits_is_read_the_way_nearer_the_key_result() -> None:
    revenue = KeyResultRef(
        1, "Close 1.2m EUR of new contracts", Decimal(0), Decimal(1_200_000), "EUR", None
    )
    customers = KeyResultRef(2, "Reach 800 customers", Decimal(200), Decimal(800), "", None)
    assert value_of("610.000", revenue) == 610_000  # German: nobody writes 610 to 3 decimals
    assert value_of("1.050", customers) == 1050  # more than the target, not 1.05 customers
    assert value_of("1,050", customers) == 1050
    assert value_of("99.950", COVERAGE) == Decimal("99.95")
    assert value_of("99,950", COVERAGE) == Decimal("99.95")  # not 99,950 %
    assert values("KR3 99,950 %") == {3: ("value", "99.95")}
    assert value_of("1,500", ONBOARDING) == Decimal("1.5")  # days, from 5 to 1
    assert value_of("1.5", revenue) == Decimal("1.5")  # not three digits after the dot
    assert value_of("0.500", revenue) == Decimal("0.5")  # "0" cannot lead a thousands group
    readings = read_progress("KR1: 610.000 von 1.200.000 EUR", [revenue], listed=True).readings
    assert [(r.value, r.span.text) for r in readings] == [(610_000, "610.000 von 1.200.000")]


@pytest.mark.parametrize(
    "text",
    ["KR1 610.000 EUR", "KR1 von 450.000 auf 610.000", "KR1 de 450 000 à 610 000 €",
     "KR1 0,61 Mio", "KR1 610.000,00"],
)  # fmt: skip
def test_european_amounts_are_read_whole(text: str) -> None:
    revenue = KeyResultRef(1, "New contracts", Decimal(0), Decimal(1_200_000), "EUR", None)
    [reading] = read_progress(text, [revenue], listed=True).readings
    assert reading.value == 610_000


def test_not_a_number() -> None:
    assert parse_number("soon") is None


# -- progress -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["KR1 38/45", "KR1 38 of 45", "KR1 38 out of 45", "KR1: 38", "KR1 - 38 teams"]
)
def test_a_value_against_the_target(text: str) -> None:
    assert values(text) == {1: ("value", "38")}


@pytest.mark.parametrize("text", ["KR1 60%", "KR1 60 %", "KR1 60 percent"])
def test_a_percentage_is_a_share_of_the_way_from_start_to_target(text: str) -> None:
    reading = progress(text)[1]
    assert (reading.status, reading.percent, reading.value) == ("percent", Decimal(60), Decimal(39))


def test_a_percentage_of_a_decreasing_key_result() -> None:
    assert progress("KR2 75%")[2].value == Decimal(2)  # 5 days -> 1 day, three quarters there


def test_a_percentage_of_a_key_result_measured_in_percent_is_its_value() -> None:
    assert values("KR3 64%") == {3: ("value", "64")}


@pytest.mark.parametrize("word", ["done", "completed", "finished"])
def test_done_means_the_target(word: str) -> None:
    assert values(f"KR2 {word}") == {2: ("done", "1")}


@pytest.mark.parametrize("words", ["no change", "same as last week", "unchanged"])
def test_no_change_means_the_current_value(words: str) -> None:
    assert values(f"KR1 {words}, KR2 {words}") == {1: ("no-change", "34"), 2: ("no-change", None)}


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("KR1 same, 41 now", {1: ("value", "41")}),
        ("KR2 about the same, 4.5 days", {2: ("value", "4.5")}),
        ("KR2 same", {2: ("no-change", None)}),
        ("KR2 about the same.", {2: ("no-change", None)}),
        ("KR2 not the same", {}),
        ("KR2 isn't the same", {}),
    ],
)
def test_a_bare_same_gives_way_to_a_value_after_it_and_not_the_same_is_no_change(
    text: str, reading: dict[int, tuple[str, str | None]]
) -> None:
    assert values(text) == reading


@pytest.mark.parametrize(
    "text",
    [
        "KR2 not done yet",
        "KR2 isn't done",
        "KR2 almost done",
        "KR2 nearly finished",
        "KR2 will be done next week",
        "KR2 should be completed by Friday",
        "KR2 done by Friday",
        "KR2 noch nicht erledigt",
        "KR2 pas encore terminé",
        "KR2 aún no terminado",
        "KR2 nog niet klaar",
        "KR2 bis Freitag erledigt",
        "KR2 wird nächste Woche fertig",
        "KR2 sera terminé vendredi",
        "KR2 still needs to be done",
        "KR2 yet to be finished",
        # A share or a part of it: was the target.
        "KR2 halfway done",
        "KR2 roughly a third done",
        "KR2 two thirds done",
        "KR2 a quarter done",
        "KR2 à moitié terminé",
    ],
)
def test_not_done_is_not_done(text: str) -> None:
    """Said not to be done, or only planned to be: no reading, and the person is asked."""
    scan = read_progress(text, KRS, listed=True)
    assert scan.readings == []
    assert scan.unclear == [f'could not read a value for KR2 in "{text[4:]}"']
    assert read_progress(text.removeprefix("KR2 "), KRS, listed=True).readings == []


@pytest.mark.parametrize(
    "text",
    [
        "KR2 has been done",
        "KR2: done, no blockers",
        "Got KR2 done!",
        "KR2 done. Not KR1 though",
        "KR2 done by Monica's team",
        "KR2 was completed by Thursday, two days early",
        "KR2 done by end of last week",
        "Happy to be done with KR2 at last.",
        "KR2 can be considered done.",
        "KR2: no problem - done.",
        "KR2 fast-tracked and done.",
        "KR2 fast fertig, KR2 erledigt",
    ],
)
def test_done_is_done(text: str) -> None:
    assert values(text)[2] == ("done", "1")


def test_half_done_is_not_done() -> None:
    assert values("KR2 half-done") == {}


@pytest.mark.parametrize(
    "word",
    ["erledigt", "abgeschlossen", "terminé", "atteint", "terminado", "klaar", "afgerond",
     "completato", "concluído"],
)  # fmt: skip
def test_done_in_other_languages(word: str) -> None:
    assert values(f"KR2 {word}") == {2: ("done", "1")}


@pytest.mark.parametrize(
    "words",
    ["keine Änderung", "unverändert", "pas de changement", "inchangé", "sin cambios",
     "geen verandering", "ongewijzigd", "nessun cambiamento", "sem alterações"],
)  # fmt: skip
def test_no_change_in_other_languages(words: str) -> None:
    assert values(f"KR1 {words}, KR2 {words}") == {1: ("no-change", "34"), 2: ("no-change", None)}


@pytest.mark.parametrize(
    "ratio", ["38 von 45", "38 sur 45", "38 de 45", "38 van 45", "38 su 45"]
)  # fmt: skip
def test_a_value_of_its_target_in_other_languages(ratio: str) -> None:
    assert values(f"KR1: {ratio}") == {1: ("value", "38")}
    assert progress(f"KR1: {ratio}")[1].span.text == ratio


@pytest.mark.parametrize(
    "change",
    ["von 30 auf 38", "de 30 à 38", "de 30 a 38", "van 30 naar 38", "da 30 a 38",
     "de 30 para 38"],
)  # fmt: skip
def test_a_change_in_other_languages_reads_where_it_went(change: str) -> None:
    # Not 30, the first number, as before.
    assert values(f"KR1 {change}", listed=True) == {1: ("value", "38")}
    assert values(f"KR1 {change}", listed=False) == {1: ("value", "38")}


@pytest.mark.parametrize(
    "words", ["Prozent", "pour cent", "por ciento", "per cento", "por cento", "procent"]
)  # fmt: skip
def test_per_cent_in_other_languages(words: str) -> None:
    # 60% of the way from 30 to 45, not a value of 60.
    assert values(f"KR1: 60 {words}") == {1: ("percent", "39")}


@pytest.mark.parametrize(
    "text",
    ["KR1: 38 Teams (Workshop von 9 bis 12 Uhr)", "KR1: 38 equipos (de 2 a 3 nuevos por semana)",
     "KR1 : 38 équipes (de 2 à 3 nouvelles par semaine)", "KR1: 38 team (riunione da 9 a 10)",
     "KR1: 38 teams (van 9 tot 5 gewerkt)", "KR1: 38 equipos (2 de 3 regiones)",
     "KR1: 38 Teams (4 von 5 neuen aus Berlin)"],
)  # fmt: skip
def test_a_range_or_an_everyday_of_after_the_value_does_not_replace_it(text: str) -> None:
    assert values(text) == {1: ("value", "38")}


def test_numbers_split_by_plain_spaces_join_only_when_the_key_result_is_that_large() -> None:
    assert values("KR1 38 120 new signups this week") == {1: ("value", "38")}
    assert values("KR1: call me at 555 123 4567") == {1: ("value", "555")}
    revenue = KeyResultRef(1, "New contracts", Decimal(0), Decimal(1_200_000), "EUR", None)
    [reading] = read_progress("KR1 610 000 EUR", [revenue], listed=True).readings
    assert reading.value == 610_000


def test_a_list_of_many_numbers_is_not_one_huge_number() -> None:
    # Ten groups of three digits made one 29-digit number, and reading it raised.
    assert values("1. Signups by week: 120 135 150 160 171 180 190 205 210 220") == {}
    assert parse_number("120 135 150 160 171 180 190 205 210 220") is None


def test_a_to_word_of_another_language_needs_its_from_word() -> None:
    # "a" is a change's "to" only after "de"/"da": "30 a week" in English is not one.
    assert values("KR1 30 a 38", listed=True) == {1: ("value", "30")}
    assert values("KR1 von 5 auf 3", listed=True) == {1: ("value", "3")}


@pytest.mark.parametrize("text", ["KR1 8 von 10", "KR1 8 sur 10"])
def test_a_score_out_of_ten_in_another_language_is_confidence_not_progress(text: str) -> None:
    assert values(text, listed=False) == {}  # as "KR1 8 out of 10" (target 45)
    assert scores(text, answer=True) == {1: 8}


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("KR1 done on 11/15", ("done", "45")),  # not 11 of 15
        ("KR1 38 as of 11/15", ("value", "38")),
        ("KR1 41/45 as of 11/15", ("value", "41")),
        ("KR1 am 15.11. erledigt", ("done", "45")),  # not 15.11
        ("KR1 erledigt am 15.11.", ("done", "45")),
        ("KR1 done 15.11.2026", ("done", "45")),
        ("KR1 38 (15/11/2026)", ("value", "38")),
        ("KR1 done on 2026-11-15", ("done", "45")),
        ("KR1 38 seit 1.11", ("value", "38")),
        ("KR1 terminé le 15/11", ("done", "45")),
    ],
)
def test_a_date_is_not_progress(text: str, reading: tuple[str, str]) -> None:
    assert values(text) == {1: reading}
    assert values(text, listed=False) == {1: reading}


def test_a_ratio_alone_or_not_a_day_and_month_is_still_a_value() -> None:
    assert values("KR1 11/15") == {1: ("value", "11")}  # no word saying when
    assert values("KR1 on 38/45") == {1: ("value", "38")}  # no month 38
    assert values("KR2 down to 3.5.") == {2: ("value", "3.5")}


def test_after_a_change_only_a_number_said_to_be_where_it_stands_is_the_value() -> None:
    assert values("On KR1 we added 3 teams from the EMEA 200 list") == {}  # not 200
    assert values("KR1 +3 → 37") == {1: ("value", "37")}


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("KR1 up 12 to 41", {1: ("value", "41")}),  # not a change "up 1"
        ("KR1 up 120k to 570k", {1: ("value", "570000")}),
        ("KR2 on 2.5 days", {2: ("value", "2.5")}),  # English days and months take "/"
        ("we signed up 38 teams for KR1", {1: ("value", "38")}),
        ("KR1 +4 at 9am standup", {}),  # not 9: a time is not where it stands
        ("KR1 +4 (ETA: 2 weeks)", {}),
    ],
)
def test_what_a_change_or_a_date_does_not_swallow(
    text: str, reading: dict[int, tuple[str, str]]
) -> None:
    assert values(text) == reading


def test_done_by_a_date_is_a_plan() -> None:
    assert values("KR1 done by 11/20") == {}


def test_a_lone_all_done_with_a_date_speaks_for_every_key_result() -> None:
    assert set(values("All done as of 15.11. Thanks!")) == {1, 2, 3}
    assert values("All done, 3 of them") == {}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("KR1 Week 47: 38 teams", "38"),  # was 47
        ("KR1 Sprint 23-24: 41", "41"),
        ("KR1 Phase 2: 38", "38"),
        ("KR1 after release 4.2: 38", "38"),
        ("KR1 KW 47: 38", "38"),
        ("KR1: 41 in weeks 46 and 47", "41"),
        ("KR1 in KW 46 und 47 zusammen 41", "41"),
        ("KR1 PR #482 merged, 38 teams", "38"),
        ("KR1 COVID-19 slowed us, 38 teams", "38"),
        ("KR1 38, our 1:1 moved", "38"),
        ("KR1 this week 41 teams", "41"),  # "this week" names no week
        ("KR1 this sprint 41", "41"),
    ],
)
def test_the_number_of_a_name_is_not_progress(text: str, value: str) -> None:
    assert values(text) == {1: ("value", value)}
    assert read_progress(text, KRS, listed=True).unclear == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("KR1 Nov 15: 38", "38"),  # was 15
        ("KR1 Stand 16. November 2026: 38", "38"),  # no sentence ends after "16."
        ("KR1 Stand Montag, 16. November 2026: 38", "38"),
        ("KR1 (Nov 16th): 38", "38"),
        ("KR1 in 2026 so far: 38", "38"),  # was 2026
        ("KR1 Q4 2026: 41", "41"),
        ("KR1 38 (since the 14:00 call)", "38"),
        ("KR1 41 (11/15 update)", "41"),  # was 11, of 15
        ("KR1 on May 3 we hit 41", "41"),
    ],
)
def test_a_day_a_year_or_a_time_is_not_progress(text: str, value: str) -> None:
    assert values(text) == {1: ("value", value)}


@pytest.mark.parametrize(
    "text", ["KR1 on track for go-live 30/11", "KR1 GA planned 12/15", "KR1 launch 12/15"]
)
def test_a_planned_date_is_no_ratio(text: str) -> None:
    # Was 30 (or 12) of the key result: "30/11" read as a value against a target.
    assert values(text) == {}
    assert read_progress(text, KRS, listed=True).unclear


@pytest.mark.parametrize(
    "text",
    [
        "KR1: 15. November: 41 teams",  # was 15: a German day before its colon
        "KR1: Stand 15. November, 41 teams",
        "KR1 am 15. November 41 teams",  # was nothing in free text: "15." ended a sentence
        "KR1: (15. November) 41 teams",
    ],
)
def test_a_german_day_is_no_value_and_ends_no_sentence(text: str) -> None:
    assert values(text) == {1: ("value", "41")}
    if "Stand" not in text:  # free text takes no bare value from a clause after the label's
        assert values(text, listed=False) == {1: ("value", "41")}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # A number after a month that is no day, or that goes on, is still a number.
        ("KR1 In November 41 teams were active", "41"),
        ("KR1 In November 12 teams were active", "12"),
        ("KR1 Since March 41 teams", "41"),
        ("KR1 Mar 41", "41"),
        ("KR1 Seit Mai 41 Teams aktiv", "41"),
        ("KR1 En novembre 41 équipes actives", "41"),
        # "41." ends a sentence before "May": no German day.
        ("KR1 41. May reach 45 next week.", "41"),
        ("KR1 41. Dec was slow because of the holidays.", "41"),
        # What joins week numbers does not take the value after them.
        ("KR1 week 47 – 41/45", "41"),
        ("KR1 release 4.2 – 41 of 45", "41"),
        ("KR1 Went from 38 in week 46 to 41 in week 47", "41"),
        ("KR1 Week over week 41 teams active", "41"),
        ("KR1 End of week 41 teams active", "41"),
        # A name's "done" is the name's: not the key result's.
        ("KR1 Sprint 23 done, 41 teams", "41"),
        ("KR1 PR #482 is now done, 38 teams", "38"),
        ("KR1 Sprint 3 of 6: 41 teams", "41"),
        ("KR1 Sprint 23 and 41 teams active", "41"),  # no list of sprints
        ("KR2 Since May 3 days on average", "3"),  # a quantity after the month, no day
    ],
)
def test_what_looks_like_a_date_or_a_name_but_is_not_one_keeps_its_value(
    text: str, value: str
) -> None:
    assert values(text) == {int(text[2]): ("value", value)}  # "KR1 …", "KR2 …"


@pytest.mark.parametrize(
    "text", ["KR1 Q4 target 45: we're at 38", "KR1 at 38, target 45", "KR1 Goal: 45, now 38",
             "KR1 Ziel 45, aktuell 38", "KR1 baseline 30, now 38"],
)  # fmt: skip
def test_a_number_said_to_be_the_target_is_not_the_value(text: str) -> None:
    assert values(text) == {1: ("value", "38")}  # was 45, the target, or nothing


def test_a_percentage_gives_way_to_the_value_against_the_target_beside_it() -> None:
    # 84% of the way from 30 to 45 would be 42.6 teams; 38/45 says 38.
    assert values("KR1 84% (38/45)") == {1: ("value", "38")}
    assert values("KR1 60% (3/5 regions)") == {1: ("percent", "39")}  # not the target's


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("KR1 diese Woche 38 Teams", ("value", "38")),  # "this week" in German names none
        ("KR1 cette semaine 38", ("value", "38")),
        ("KR1 esta semana 38 equipos", ("value", "38")),
        ("KR1 As of November 15, 2026: 38", ("value", "38")),  # was 2026
        ("KR1 on Nov 15 2026 we had 38", ("value", "38")),
        ("KR1 em 15 de novembro: 38", ("value", "38")),
        ("KR1 38 ready to go", ("value", "38")),  # not what is left to go
        ("KR1 all 45 good to go", ("value", "45")),
        ("KR1 Target 45 reached", ("value", "45")),  # a target said to be reached
        ("KR1 objetivo de 45 cumplido", ("value", "45")),
        ("KR1 Ziel 45 erreicht", ("value", "45")),
        ("KR1 84% (was 34/45)", ("percent", "42.6")),  # the ratio says another thing
        ("KR2: target 1, now 3", ("value", "3")),  # the clause after the target's is KR2's
        ("KR1: Sprint 3, now at 38", ("value", "38")),
    ],
)
def test_what_a_second_review_found_read_wrong(text: str, reading: tuple[str, str]) -> None:
    assert values(text) == {int(text[2]): reading}


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("KR1 41 teams (11/15 updates)", ("value", "41")),  # a date before a plural
        ("KR1 done 11/15 thanks to the EMEA push", ("done", "45")),
        ("KR1: We should hit target 45 by December, now 38", ("value", "38")),
        ("KR1 Target 45 reached? Not yet, at 38.", ("value", "38")),  # asked, not said
        ("KR1 looking at goal 45, at 38 today", ("value", "38")),
        ("KR1 Reached our target of 45", ("value", "45")),  # said reached: the value
        ("KR1 Exceeded the target: 47", ("value", "47")),
        ("KR1 current sprint 23: 38 teams", ("value", "38")),
        ("KR1 Update für KW 47: 38 Teams aktiv", ("value", "38")),
        ("KR1 post-sprint 23: 38 teams", ("value", "38")),
        ("KR1 quedan 38 equipos activos", ("value", "38")),  # there remain 38: the value
        ("KR1 il reste 38 équipes actives", ("value", "38")),
        ("KR1 ~80% (38/45)", ("value", "38")),  # a rounded percentage and its ratio
        ("KR1 70% of the way (41/45)", ("value", "41")),
        ("KR1 nothing to report: done", ("done", "45")),  # "nothing" is not about "done"
        ("KR1 nichts Neues: erledigt", ("done", "45")),
    ],
)
def test_what_a_third_review_found_read_wrong(text: str, reading: tuple[str, str]) -> None:
    assert values(text) == {1: reading}


def test_a_target_in_percent_said_reached_or_asked() -> None:
    def read(text: str) -> list[Decimal | None]:
        return [r.value for r in read_progress(text, [COVERAGE], listed=True).readings]

    assert read("KR3 target 80% reached!") == [80]
    assert read("KR3 reached goal 80%? no, 72%") == [72]


def test_a_multiplier_is_not_the_start_of_a_word_in_any_language() -> None:
    # "3 más" (Spanish "3 more") read as 3 million; "45 min" was already 45.
    assert [match[0] for match in NUMBER_RE.finditer("cada semana 3 más, 45 min")] == ["3", "45"]


@pytest.mark.parametrize("text", ["Nov 15: all done", "Week 47: all done", "Q4 2026: all done"])
def test_a_date_or_a_label_before_all_done_does_not_stop_it(text: str) -> None:
    assert set(values(text)) == {1, 2, 3}


def test_mil_is_a_million_only_where_a_thousand_is_far_and_a_million_near() -> None:
    revenue = KeyResultRef(1, "New contracts", Decimal(0), Decimal(1_200_000), "EUR", None)
    monthly = KeyResultRef(1, "MRR", Decimal(0), Decimal(50_000), "EUR", None)

    def read(text: str, kr: KeyResultRef) -> list[Decimal | None]:
        return [r.value for r in read_progress(text, [kr], listed=True).readings]

    assert read("KR1 25 mil euros", revenue) == [25_000]
    assert read("KR1 2 mil euros", revenue) == [2_000_000]
    assert read("KR1 1 mil euros", monthly) == [1000]


@pytest.mark.parametrize(
    "text", ["Sprint 23 done", "PR #482 done", "nothing done yet", "noch nichts erledigt",
             "Week 47: nothing done"],
)  # fmt: skip
def test_a_names_done_or_nothing_done_is_not_every_key_result_done(text: str) -> None:
    assert values(text) == {}


@pytest.mark.parametrize("text", ["KR1 2 short of 40", "KR1 faltan 7", "KR1 noch 7 bis zum Ziel"])
def test_what_is_left_in_other_words_is_asked_for(text: str) -> None:
    assert values(text) == {}
    [unclear] = read_progress(text, KRS, listed=True).unclear
    assert "reads as what is left to go" in unclear


def test_a_key_result_counted_in_thousands_reads_thousands_as_its_unit() -> None:
    revenue = KeyResultRef(1, "Umsatz auf 1.200 TEUR", Decimal(0), Decimal(1200), "TEUR", None)
    for text in ("KR1 610 T€", "KR1 610 TEUR", "KR1 610k", "KR1 610", "KR1 51 % (610/1.200 T€)"):
        [reading] = read_progress(text, [revenue], listed=True).readings
        assert reading.value == 610, text


def test_a_huge_percentage_is_no_reading_and_raises_nothing() -> None:
    revenue = KeyResultRef(1, "New contracts", Decimal(0), Decimal(1_200_000), "EUR", None)
    scan = read_progress("KR1 99999999999999999999999999 %", [revenue], listed=True)
    assert scan.readings == [] and scan.unclear


def test_a_key_result_that_counts_what_a_label_names_reads_its_numbers() -> None:
    milestones = KeyResultRef(1, "Ship 5 milestones", Decimal(0), Decimal(5), "milestones", None)

    def read(text: str) -> list[tuple[str, Decimal | None]]:
        scan = read_progress(text, [milestones], listed=True)
        return [(r.status, r.value) for r in scan.readings]

    assert read("KR1: Milestone 3 of 5") == [("value", 3)]  # not 5, its target
    assert read("KR1 Milestone 3 done") == [("value", 3)]  # not done
    assert read("KR1 milestone 3/5") == [("value", 3)]


def test_a_year_is_the_value_of_a_key_result_whose_numbers_look_like_years() -> None:
    signups = KeyResultRef(1, "Grow signups to 2500", Decimal(1500), Decimal(2500), "", None)
    [reading] = read_progress("KR1 Signups in November 2010", [signups], listed=True).readings
    assert reading.value == 2010
    assert values("KR1 in 2026 so far: 38") == {1: ("value", "38")}  # a year of 45 teams


def test_numbers_beside_a_year_are_still_clauses_of_their_own() -> None:
    signups = KeyResultRef(3, "Grow signups to 2500", Decimal(1500), Decimal(2500), "", None)
    scan = read_progress("41, 3, 1950", [TEAMS, ONBOARDING, signups], listed=True)
    assert [reading.value for reading in scan.readings] == [41, 3, 1950]


def test_a_ratio_after_a_day_and_month_like_ratio_is_not_taken_for_its_reading() -> None:
    # "7/12" could be a date, but what comes after it is no reason to pass it over.
    assert values("KR3 7/12 services above 80%, overall 64%") == {3: ("value", "7")}


def test_a_ratio_that_could_be_a_date_is_a_date_only_beside_another_reading() -> None:
    assert values("KR1 done 11/15") == {1: ("done", "45")}
    assert values("KR1 11/15") == {1: ("value", "11")}
    assert values("KR1 11/12 teams") == {1: ("value", "11")}  # the unit follows it
    assert values("KR1 38/45 (41 by Friday)") == {1: ("value", "38")}  # 45 is the target


def test_days_years_and_names_do_not_stop_a_lone_all_done() -> None:
    assert set(values("All done in sprint 23")) == {1, 2, 3}
    assert set(values("All done since Nov 12")) == {1, 2, 3}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("KR2 3 days to go live", "3"),
        ("KR2 3 days to go from signup to first project", "3"),
        ("KR1 41 teams remaining after the cleanup", "41"),
        ("KR1 41 remaining", "41"),
    ],
)
def test_to_go_and_remaining_that_say_no_distance_to_the_target_are_values(
    text: str, value: str
) -> None:
    assert values(text) == {int(text[2]): ("value", value)}


def test_people_who_left_are_the_value_of_an_attrition_key_result() -> None:
    attrition = KeyResultRef(
        1, "Cut regretted attrition to 1", Decimal(4), Decimal(1), "people", None
    )
    [reading] = read_progress("KR1 2 people left", [attrition], listed=True).readings
    assert reading.value == 2


@pytest.mark.parametrize(
    "left",
    ["7 to go", "38 more to go", "3 teams left to onboard", "2 short of the target", "16% to go"],
)
def test_what_is_left_to_go_is_not_a_value(left: str) -> None:
    # "7 to go" of 45 teams is not 7 teams: no reading, and the confirmation asks.
    assert values(f"KR1 {left}") == {}
    [unclear] = read_progress(f"KR1 {left}", KRS, listed=True).unclear
    assert f'"{left}" reads as what is left to go' in unclear and "(it was 34 teams)" in unclear
    assert values(f"KR1 38 ({left})") == {1: ("value", "38")}


def test_thousands_written_before_an_amount_of_money() -> None:
    revenue = KeyResultRef(1, "New contracts", Decimal(0), Decimal(1_200_000), "EUR", None)

    def read(text: str) -> list[Decimal | None]:
        return [r.value for r in read_progress(text, [revenue], listed=True).readings]

    assert read("KR1 610 T€") == [610_000]
    assert read("KR1 610 TEUR") == [610_000]
    assert read("KR1 610 mil euros") == [610_000]
    assert read("KR1 1.1 mil euros") == [Decimal("1.1")]  # slang's million: not 1,100
    # "mil" is a thousand in Spanish and a million in English slang: the nearer in scale
    assert read("KR1 2 mil euros") == [2_000_000]
    assert read("KR1 610 Tage") == [610]  # no amount of money follows
    assert read("KR1 2 mil") == [2]  # "mil" alone is English slang for a million


def test_a_change_between_negative_numbers_reads_where_it_went() -> None:
    nps = KeyResultRef(1, "Lift NPS", Decimal(-10), Decimal(30), "points", Decimal(-4))
    [reading] = read_progress("KR1 from -10 to -3", [nps], listed=True).readings
    assert (reading.value, reading.span.text) == (-3, "from -10 to -3")  # was -10
    [reading] = read_progress("KR1 went -4 -> -1", [nps], listed=True).readings
    assert reading.value == -1
    [reading] = read_progress("KR1 from -4 to +2", [nps], listed=True).readings
    assert reading.value == 2
    [reading] = read_progress("KR1: −2", [nps], listed=True).readings
    assert reading.span.text == "−2"  # the sign is part of what was read
    # A key result that cannot be negative reads none: asked for.
    scan = read_progress("KR1 from 30 to -3", KRS, listed=True)
    assert scan.readings == [] and scan.unclear


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("Sprint 3: 8", {None: 8}),  # was KR1 3, KR2 8
        ("7 for week 3", {None: 7}),
        ("8 (as of Nov 5)", {None: 8}),
        ("KR1 8, KR2 6 after the 1:1", {1: 8, 2: 6}),
        ("Q4 2026: 7", {None: 7}),
        ("7. May drop if hiring slips.", {None: 7}),  # no German day: a sentence ends
    ],
)
def test_the_number_of_a_name_a_day_or_a_time_is_no_score(
    text: str, read: dict[int | None, int]
) -> None:
    assert scores(text) == read


def test_a_key_result_read_elsewhere_in_the_answer_is_not_reported_unclear() -> None:
    scan = read_progress("KR1 PR #482 merged, 38 teams", KRS, listed=True)
    assert [r.value for r in scan.readings] == [38] and scan.unclear == []


@pytest.mark.parametrize(
    "change",
    ["+3 teams", "+ 3", "-1 day", "−1", "up 3 this week", "3 more teams", "added 4 teams", "+5%"],
)
def test_a_change_since_last_time_is_not_a_value(change: str) -> None:
    # "+3" of 34 teams is not 3 teams: no reading, and the confirmation asks.
    assert values(f"KR1 {change}") == {}
    assert values(f"KR1 {change}", listed=False) == {}
    [unclear] = read_progress(f"KR1 {change}", KRS, listed=True).unclear
    assert "reads as a change since last time" in unclear and "(it was 34 teams)" in unclear


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("KR1 +3 (now 37)", "37"),
        ("KR1 38 (+3)", "38"),
        ("KR1 went up 3 to 37", "37"),
        ("KR1 up to 38", "38"),
        ("- 38 teams", "38"),  # a bullet, not a minus
        ("KR1 30-38", "30"),  # a range, not a minus
    ],
)
def test_a_value_beside_a_change_or_a_dash_is_still_read(text: str, value: str) -> None:
    assert values(text)[1] == ("value", value)


def test_a_sign_is_part_of_the_value_of_a_key_result_that_can_be_negative() -> None:
    nps = KeyResultRef(1, "Lift NPS", Decimal(-10), Decimal(30), "points", Decimal(-4))

    def read(text: str) -> list[Decimal | None]:
        return [r.value for r in read_progress(text, [nps], listed=True).readings]

    assert read("KR1 -5") == [-5]
    assert read("KR1: −2") == [-2]
    assert read("KR1 +12") == [12]
    assert read("KR1 up 3") == []  # words still say a change


def test_a_lone_no_change_speaks_for_every_key_result() -> None:
    assert set(values("No change since last week.")) == {1, 2, 3}


@pytest.mark.parametrize("label", ["KR2", "KR 2", "kr#2", "Key result 2", "key-result 2"])
def test_key_result_labels(label: str) -> None:
    assert values(f"{label}: 3 days") == {2: ("value", "3")}


def test_numbered_lines_inside_a_progress_answer_name_key_results() -> None:
    assert values("1) 38/45\n2) 3 days\n3) 70%") == {
        1: ("value", "38"),
        2: ("value", "3"),
        3: ("value", "70"),
    }


def test_unnamed_lines_follow_the_key_results_in_order() -> None:
    assert values("40\n2.5\nunchanged") == {
        1: ("value", "40"),
        2: ("value", "2.5"),
        3: ("no-change", "61"),
    }
    assert values("40, 2.5, 70%") == {1: ("value", "40"), 2: ("value", "2.5"), 3: ("value", "70")}


def test_unnamed_values_are_not_guessed_when_their_count_does_not_match() -> None:
    assert values("40 and 2.5") == {}
    assert read_progress("40 and 2.5", KRS, listed=True).unclear


def test_an_unnamed_value_against_a_target_is_the_key_result_with_that_target() -> None:
    assert values("41/45") == {1: ("value", "41")}
    assert values("80 of 80") == {3: ("value", "80")}
    # A target no key result has, or one that two share, names none: still reported.
    assert values("41/50") == {}
    twins = [TEAMS, replace(ONBOARDING, target=Decimal(45))]
    scan = read_progress("41/45", twins, listed=True)
    assert scan.readings == [] and scan.unclear


def test_key_results_named_by_their_title() -> None:
    assert values("Active teams: 39. Onboarding is down to 3 days. Coverage 66%") == {
        1: ("value", "39"),
        2: ("value", "3"),
        3: ("value", "66"),
    }


def test_the_titles_own_numbers_are_not_progress() -> None:
    assert values("Weekly active teams from 30 to 45 - we are at 41") == {1: ("value", "41")}


def test_a_value_after_a_full_stop_is_of_the_sentence_before() -> None:
    assert values("Billing coverage: mostly done. 64%") == {3: ("value", "64")}
    # No sentence ends after an abbreviation: in free text, the value went unread.
    assert values("KR1 (acc. to the dashboard) 41 teams", listed=False) == {1: ("value", "41")}
    assert values("Overall 41 teams on KR1, KR2 3 days") == {1: ("value", "41"), 2: ("value", "3")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # found by a third review; each was the value here
        ("KR1 had 41 teams this week, 2 churned so far", {1: ("value", "41")}),
        ("KR1 41 vs last week's 38, 140 signups so far", {1: ("value", "41")}),
        ("KR1 41 teams added to the dashboard, 140 users in total", {1: ("value", "41")}),
        ("KR1 38 teams (hope we make it 45)", {1: ("value", "38")}),
        ("KR3 64%, actually 2% more.", {3: ("value", "64")}),
        (
            "Active teams 41 at last count; now 3 days onboarding",
            {1: ("value", "41"), 2: ("value", "3")},
        ),
    ],
)
def test_what_stands_now_and_corrections_are_of_the_same_thing(
    text: str, expected: dict[int, tuple[str, str]]
) -> None:
    assert values(text) == expected


def test_third_review_cases_of_sentences_units_and_acronyms() -> None:
    # "slow week." ends no sentence before a small letter: nothing was said yet.
    assert values("KR1: slow week. only 38 teams", listed=False) == {1: ("value", "38")}
    # "s." is German for "see", not seconds.
    latency = KeyResultRef(1, "Cut p95 latency", Decimal(800), Decimal(300), "ms", None)
    [reading] = read_progress("KR1 Latenz 620 s. Anhang", [latency], listed=True).readings
    assert reading.value == 620
    # A currency code names no key result; "sem" is Portuguese for "without".
    sem = KeyResultRef(1, "Cut SEM cost per lead to 40 EUR", Decimal(80), Decimal(40), "EUR", None)
    assert read_progress("pipeline now 900.000 EUR", [sem], listed=False).readings == []
    assert read_progress("Equipes ativas: 41 (sem mudanças)", [sem], listed=False).readings == []
    # "und", "et", "y", "e" break clauses as "and" does: two acronyms, two key results.
    csat = KeyResultRef(1, "Raise CSAT to 90%", Decimal(0), Decimal(90), "%", None)
    nps = KeyResultRef(2, "Raise NPS from -10 to +20", Decimal(-10), Decimal(20), "", None)
    found = read_progress("CSAT 88% und NPS 41", [csat, nps], listed=True).readings
    assert {r.kr_number: str(r.value) for r in found} == {1: "88", 2: "41"}
    # A heading with "confidence" in brackets is for all that follows it.
    said = read_confidence("Scores (confidence): KR1 8, KR2 6", KRS, answer=False).readings
    assert {r.kr_number: r.score for r in said} == {1: 8, 2: 6}


def test_fourth_review_cases_of_and_words_exclamations_and_brackets() -> None:
    spanish = [
        KeyResultRef(
            1, "Aumentar equipos activos de 30 a 45", Decimal(30), Decimal(45), "equipos", None
        ),
        KeyResultRef(2, "Reducir el tiempo de onboarding", Decimal(5), Decimal(1), "días", None),
        KeyResultRef(
            3, "Subir la cobertura de pruebas al 80%", Decimal(55), Decimal(80), "%", None
        ),
    ]

    def read(text: str) -> dict[int, str]:
        found = read_progress(text, spanish, listed=True).readings
        return {r.kr_number: str(r.value) for r in found}

    # Another language's "and" inside a name, or between values said after their names.
    assert read("Cobertura y calidad: 70%") == {3: "70"}
    assert read("Equipos y Cobertura de pruebas: 40 y 66%") == {3: "66"}
    # Between a value and the next name, it breaks the clause as "and" does.
    assert read("Equipos 41 y tiempo de onboarding 3 días") == {1: "41", 2: "3"}
    # "!" ends a sentence before a small letter (one naming another key result).
    sso = KeyResultRef(1, "Ship SSO to all 12 apps", Decimal(0), Decimal(12), "apps", None)
    csat = KeyResultRef(2, "Raise CSAT to 90%", Decimal(0), Decimal(90), "%", None)
    found = read_progress("we shipped sso! csat is 88% now", [sso, csat], listed=True).readings
    assert {r.kr_number: str(r.value) for r in found} == {2: "88"}
    # Confidence with its score in brackets is no heading for what follows.
    text = "KR1 41 teams (confidence 8) - KR2 3 days (confidence 5)"
    assert values(text) == {1: ("value", "41"), 2: ("value", "3")}


def test_apart_from_that_means_otherwise() -> None:
    assert values("KR3: done - apart from that, quiet week") == {3: ("done", "80")}
    assert sentences_with("blocker", "Nothing blocking, other than that all good.") == []
    assert sentences_with("blocker", "Pipeline holding up at 850k.") == []
    assert sentences_with("help", "I appreciate a lot of the work QA did.") == []


def test_sentences_typed_without_capitals_are_read_one_by_one() -> None:
    # Was 70% of the way for KR2 (2.2 days) and nothing else: one sentence, one item.
    assert values("teams are at 38 now. onboarding takes 3 days. coverage 70%. done.") == {
        1: ("value", "38"),
        2: ("value", "3"),
        3: ("value", "70"),
    }
    # After an abbreviation or a number, a small letter goes on the sentence.
    assert values("KR1 approx. 38 teams") == {1: ("value", "38")}
    assert values("KR1 z.B. 38 teams") == {1: ("value", "38")}


def test_values_before_their_labels() -> None:
    assert values("60% on KR1, 3 days for KR2, 70% for KR3") == {
        1: ("percent", "39"),
        2: ("value", "3"),
        3: ("value", "70"),
    }
    # A value taken back: the one after "no wait" (was 38/45, the first said).
    assert values("60% on KR1, 38/45 for KR2... no wait, 3 days for KR2") == {
        1: ("percent", "39"),
        2: ("value", "3"),
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("KR1 38, sorry 39 teams", "39"),  # was 38: the first value said
        ("KR1 38, ich meine 39", "39"),
        ("KR1 38 (no wait, 39)", "39"),
        ("KR1 38, sorry 39, no wait 40", "40"),
        ("KR1 38 - actually 39, just checked", "39"),
        ("KR1 38 teams, sorry for the delay", "38"),  # takes nothing back
        ("KR1 38 - actually pretty good, 3 new teams", "38"),
        ("KR1 38, sorry 1 day late with this update", "38"),
        ("KR1 38 teams, actually 3 of them are pilots", "38"),
        ("KR1 38 (wait, 2 of those are trials)", "38"),
        ("KR1 38, ich meine 3 davon sind Piloten", "38"),
        ("KR1 38, actually 2 churned.", "38"),  # a count of something else
        ("KR1 38 (oops, 1 duplicate)", "38"),
        ("KR1 38 teams; sorry 2 weeks.", "38"),
        ("KR1 actually 40", "40"),
    ],
)
def test_a_value_taken_back_gives_way_to_the_one_after_it(text: str, value: str) -> None:
    assert values(text) == {1: ("value", value)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The days name KR2, at its place: the others are KR1 and KR3 (was KR2 only).
        ("40, 2 days, 60%", {1: "40", 2: "2", 3: "60"}),
        ("40 teams, 2 days, 60%", {1: "40", 2: "2", 3: "60"}),
        # Out of its place, or named by a label: no order to go by.
        ("2 days, 40, 60%", {2: "2"}),
        ("KR1 41. May reach 45 next week. 60%", {1: "41"}),
    ],
)
def test_a_list_in_order_with_some_named_at_their_place(
    text: str, expected: dict[int, str]
) -> None:
    assert {number: value for number, (_, value) in values(text).items()} == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8, 6, 7. KR2 maybe 5.", {1: 8, 2: 5, 3: 7}),  # was KR2 5 and 8 overall
        ("8, 6, 7 (KR2 could be 5)", {1: 8, 2: 5, 3: 7}),
        ("8, 6, 7\n\nOops, confidence for KR2 should be 5.", {1: 8, 2: 5, 3: 7}),
        ("8. KR2 maybe 5", {None: 8, 2: 5}),  # one for all, one of them apart
        ("8, 6. KR3 5", {None: 8, 3: 5}),  # not one per key result: not in order
    ],
)
def test_scores_in_order_then_one_revised_by_its_label(
    text: str, expected: dict[int | None, int]
) -> None:
    assert scores(text) == expected


@pytest.mark.parametrize("listed", [True, False])
@pytest.mark.parametrize(
    ("text", "value"),
    [  # each was the first value said
        ("KR1 36 -> 40. Actually KR1 is 41.", "41"),
        ("KR1 40\n\nActually KR1 is 41, sorry.", "41"),
        ("KR1 38. KR1 is actually 39", "39"),
        ("KR1 40. Correction: KR1 39", "39"),
        ("KR1 38 teams; sorry, KR1 is 39 teams", "39"),
        ("KR1 36 -> 40 scratch that 41", "41"),
        ("KR1 40, make that 41", "41"),
        # No correction: the first stands.
        ("KR1 40, sorry for the delay. KR1 was 36 last week", "40"),
        ("KR1 40. KR1 looked like 36 earlier, actually.", "40"),
        ("Actually KR1 went well: 40. KR1 was 36.", "40"),
    ],
)
def test_a_key_result_named_again_after_a_correction_word_takes_the_new_value(
    text: str, value: str, listed: bool
) -> None:
    assert values(text, listed=listed) == {1: ("value", value)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # each was done: the target recorded
        ("KR3 done except for Siemens and Bosch", {}),
        ("KR3 8 services done", {3: ("value", "8")}),
        ("KR2 basically done, 1.2 days median", {2: ("value", "1.2")}),
        ("KR3 done", {3: ("done", "80")}),  # all of it
    ],
)
def test_done_said_of_a_part_is_not_the_whole_key_result_done(
    text: str, expected: dict[int, tuple[str, str]]
) -> None:
    assert values(text) == expected


@pytest.mark.parametrize(
    ("text", "read", "confidence"),
    [
        ("KR1 39/45 confidence 8, KR2 3 days", {1: ("value", "39"), 2: ("value", "3")}, {1: 8}),
        ("KR1 confidence 8, KR2 confidence 6", {}, {1: 8, 2: 6}),
        (
            "KR1 39/45 confidence high, KR2 3 days, confidence low",
            {1: ("value", "39"), 2: ("value", "3")},
            {1: 8, 2: 2},
        ),
        ("teams 39 confidence 7, onboarding 3 days confidence 5", None, {1: 7, 2: 5}),
        # Talk that names the key results after it still reaches them.
        ("KR1 39/45, confidence: KR1 8, KR2 6", {1: ("value", "39")}, {1: 8, 2: 6}),
        ("Confidence: KR1 6, KR2 9", {}, {1: 6, 2: 9}),
    ],
)
def test_confidence_said_of_a_key_result_ends_at_the_next_one(
    text: str, read: dict[int, tuple[str, str]] | None, confidence: dict[int, int]
) -> None:
    """Was confidence 3 for KR2 (its progress taken for a score) and KR2's progress lost."""
    if read is not None:
        assert values(text, listed=False) == read
    assert scores(text, answer=False) == confidence


@pytest.mark.parametrize(
    ("text", "confidence"),
    [
        ("KR1 39, conf 8", {1: 8}),
        ("KR2 conf: 7", {2: 7}),
        ("Conf KR2 7", {2: 7}),
        ("conf call at 3 with Bosch", {}),
    ],
)
def test_conf_is_short_for_confidence_before_a_score(text: str, confidence: dict[int, int]) -> None:
    assert scores(text, answer=False) == confidence


def test_confidence_said_in_brackets_reaches_no_further() -> None:
    text = "KR1 39/45 (confident), KR2 3 days (not confident), KR3 70% - 50/50 on this one"
    # Was confidence 3 for KR2 and 7 for KR3, and no progress for either.
    assert values(text) == {1: ("value", "39"), 2: ("value", "3"), 3: ("value", "70")}
    assert read_confidence(text, KRS, answer=False).readings == []


def test_an_acronym_of_a_title_names_its_key_result() -> None:
    nps = KeyResultRef(1, "Raise NPS from -10 to +20", Decimal(-10), Decimal(20), "", None)
    sso = KeyResultRef(
        2, "Ship self-serve SSO to all accounts", Decimal(0), Decimal(100), "%", None
    )
    krs = [nps, sso]
    # Each read nothing: a word of three letters named no key result.
    found = read_progress("SSO 60%, nps is at 2", krs, listed=True).readings
    assert {r.kr_number: str(r.value) for r in found} == {1: "2", 2: "60"}
    # A title's short word that is a word names nothing ("Migrate IT tickets": "it").
    it = KeyResultRef(1, "Migrate IT tickets to Jira", Decimal(0), Decimal(500), "", None)
    assert read_progress("it went well, 60%", [it, nps], listed=False).readings == []
    # Nor a short word of another language: Portuguese "eu" (I), French "j'ai" (I have).
    eu = KeyResultRef(1, "Grow EU revenue to 2m EUR", Decimal(0), Decimal(2_000_000), "EUR", None)
    ai = KeyResultRef(
        2, "Ship the AI assistant to 40% of users", Decimal(0), Decimal(40), "%", None
    )
    assert read_progress("Eu acho que 41 equipes", [eu, ai], listed=False).readings == []
    found = read_progress("j'ai 12% de plus", [eu, ai], listed=False).readings
    assert [r.kr_number for r in found] == []
    found = read_progress("AI 12%, EU 500k", [eu, ai], listed=True).readings
    assert {r.kr_number: str(r.value) for r in found} == {1: "500000", 2: "12"}


def test_a_count_of_things_done_in_passing_is_not_the_key_result_done() -> None:
    assert values("Billing coverage: 8 suites done", listed=False) == {}  # was done
    assert values("Billing coverage: done", listed=False) == {3: ("done", "80")}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("KR1 was 36 last Monday, now 40", "40"),  # each was the first number said
        ("KR1 last week 36, now 40", "40"),
        ("KR1 36 last week, 40 now", "40"),
        ("KR1 38 teams, 3 churned today", "38"),
        ("KR1 onboarded 4 new teams this week, 38 total", "38"),
        ("KR1: expect to hit 42 by Friday (currently 39)", "39"),
        ("KR1 38 now", "38"),
        ("KR1 40, now on to the next", "40"),
        # Said without where it stood or what changed, what stands now is something else.
        ("KR1 38 teams, 3 churned so far this quarter", "38"),
        ("KR1 38 teams, now 3 weeks left in the quarter", "38"),
        ("KR1 38 teams (12 in EMEA, 26 total in NA)", "38"),
        ("KR1 41 (was 38), 140 teams so far", "41"),  # "was" is said of 38, not of 41
        ("KR1 38 teams (4 new), 7 in total from EMEA", "38"),
        ("KR1 14 - more than expected! 3 enterprise so far", "14"),
    ],
)
def test_a_number_said_to_stand_now_wins_over_one_before_it(text: str, value: str) -> None:
    assert values(text) == {1: ("value", value)}


def test_a_number_said_to_stand_now_of_the_next_key_result_is_its_own() -> None:
    assert values("KR1 38, now 3 days for KR2") == {1: ("value", "38"), 2: ("value", "3")}
    assert values("KR1 38; we're at 3 days on KR2") == {1: ("value", "38"), 2: ("value", "3")}


@pytest.mark.parametrize(
    ("written", "unit", "value"),
    [
        ("0.45s", "ms", "450"),  # was 0.45 ms
        ("45 min", "hours", "0.75"),  # was 45 hours
        ("2 weeks", "days", "14"),
        ("36 Stunden", "days", "1.5"),
        ("3 days", "days", "3"),
        ("450 ms", "ms", "450"),
    ],
)
def test_a_time_written_in_another_unit_is_converted(written: str, unit: str, value: str) -> None:
    kr = KeyResultRef(1, "Cut the wait", Decimal(800), Decimal(1), unit, None)
    [reading] = read_progress(f"KR1 {written}", [kr], listed=True).readings
    assert (reading.status, str(reading.value)) == ("value", value)


def test_swiss_thousands() -> None:
    kr = KeyResultRef(1, "Grow EMEA pipeline", Decimal(0), Decimal(1_200_000), "EUR", None)
    [reading] = read_progress("KR1 1'050'000 in the pipe", [kr], listed=True).readings
    assert reading.value == 1_050_000 and reading.span.text == "1'050'000"  # was 1


def test_thousands_and_suffixes() -> None:
    big = KeyResultRef(
        1, "Grow monthly active users to 1.5m", Decimal(900_000), Decimal(1_500_000), "users", None
    )
    for text in ("KR1 1.2m", "KR1 1,200,000", "KR1 1200k"):
        reading = read_progress(text, [big], listed=True).readings[0]
        assert reading.value == Decimal(1_200_000), text


LOAD_TIME = KeyResultRef(
    1, "Reduce load time from 12 s to 3 s", Decimal(12), Decimal(3), "s", Decimal(9)
)


@pytest.mark.parametrize(
    ("kr", "text", "value"),
    [
        (LOAD_TIME, "KR1 from 9 s to 6.4 s", "6.4"),
        (LOAD_TIME, "We reduced load time from 9s to 6.4s", "6.4"),
        (ONBOARDING, "KR2 from 5 days to 4 days", "4"),
        (ONBOARDING, "KR2 5d to 4d", "4"),
        (ONBOARDING, "onboarding down from 4 days to 3 days", "3"),
        (ONBOARDING, "KR2 improved by 1 day to 3 days", "3"),
        (ONBOARDING, "KR2 von 5 Tagen auf 4 Tage", "4"),
        (COVERAGE, "KR3 from 61% to 64%", "64"),
        (LOAD_TIME, "KR1 9 s -> 6.4 s", "6.4"),
        (LOAD_TIME, "KR1 9s → 6.4s", "6.4"),
    ],
)
def test_a_change_with_a_unit_on_both_values_reads_where_it_went(
    kr: KeyResultRef, text: str, value: str
) -> None:
    """Was the value it came from: only "from 9 to 6.4 s" was read as a change."""
    scan = read_progress(text, [kr], listed=True)
    assert [(r.kr_number, str(r.value)) for r in scan.readings] == [(kr.number, value)]


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("KR2 should be down to 2 days by Friday", {}),
        ("KR3 will be at 70% next week", {}),
        ("KR3 we'll hit 70% soon", {}),
        ("KR3 expect 70% by end of month", {}),
        ("KR1 hoping for 45 by Dec", {}),
        ("KR1 39, hoping for 45 by Dec", {1: ("value", "39")}),
        ("KR1 40, on track to hit 45", {1: ("value", "40")}),
        ("KR1 expect to hit 42 (currently 39)", {1: ("value", "39")}),
        # "Should be" correcting a value is no plan.
        ("Sorry, KR2 should be 4, not 5.", {2: ("value", "4")}),
    ],
)
def test_a_value_planned_or_hoped_for_is_not_where_it_stands(
    text: str, read: dict[int, tuple[str, str]]
) -> None:
    """Was recorded as the value: a forecast of 45 teams set the key result to its target."""
    assert values(text) == read


def test_from_to_reads_the_new_value() -> None:
    assert values("KR1 went from 34 to 39") == {1: ("value", "39")}


def test_confidence_talk_is_not_progress() -> None:
    assert values("KR1 38/45, confidence 8/10. KR2 confidence 7") == {1: ("value", "38")}


def test_free_text_needs_an_explicit_form_or_a_label() -> None:
    text = "Spent 3 days on onboarding docs. Teams are at 38 of 45. KR3: 66"
    assert values(text, listed=False) == {1: ("value", "38"), 3: ("value", "66")}
    assert read_progress("Onboarding took 3 days of my week", KRS, listed=False).readings == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Active teams: 43.", {1: ("value", "43")}),
        ("Active teams: 43 teams (up from 39)", {1: ("value", "43")}),
        ("Onboarding: still 3 days, slow going", {2: ("value", "3")}),
        ("Coverage: 66%", {3: ("value", "66")}),
        # A number of something else, or the name only after the colon: not progress.
        ("Team: 3 people out sick this week.", {}),
        ("Reminder: 3 teams churned", {}),
        ("Note on onboarding: 2 new hires start Monday", {}),
        # Said where it stands instead of a colon.
        ("Onboarding is at 2 days now.", {2: ("value", "2")}),
        ("Onboarding time is 2 days.", {2: ("value", "2")}),
        ("Active teams went up to 43, from 39.", {1: ("value", "43")}),
        ("Coverage sits at 66%", {3: ("value", "66")}),
        ("The onboarding call is at 3pm.", {}),
        ("Onboarding is 2 days behind.", {}),
        ("Onboarding was at 3 days, now 2.", {}),  # where it stood, not where it is
        ("Team is at 3 offsites this week.", {}),
    ],
)
def test_free_text_reads_a_key_results_name_a_colon_and_its_value(
    text: str, expected: dict[int, tuple[str, str]]
) -> None:
    assert values(text, listed=False) == expected


def test_what_cannot_be_read_is_reported() -> None:
    scan = read_progress("KR1 38/45\nKR3 about halfway-ish", KRS, listed=True)
    assert [reading.kr_number for reading in scan.readings] == [1]
    assert scan.unclear == ['could not read a value for KR3 in "about halfway-ish"']


def test_a_label_then_its_value_on_the_next_line() -> None:
    assert values("KR1:\n38/45\nKR2:\n3 days") == {1: ("value", "38"), 2: ("value", "3")}


# -- confidence -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("8/10", 8),
        ("7", 7),
        ("8 out of 10", 8),
        ("70%", 7),
        ("7.5", 8),
        ("high", 8),
        ("medium", 5),
        ("low", 2),
        ("green", 8),
        ("yellow", 5),
        ("amber", 5),
        ("red", 2),
        ("on track", 8),
        ("at risk", 5),
        ("off track", 2),
        ("🟢", 8),
        ("✅", 8),
        ("👍", 8),
        ("🟡", 5),
        ("⚠️", 5),
        ("😐", 5),
        ("🔴", 2),
        ("❌", 2),
        ("👎", 2),
    ],
)
def test_one_overall_score(text: str, score: int) -> None:
    assert scores(text) == {None: score}


def test_scores_per_key_result() -> None:
    assert scores("KR1 8, KR2 5/10, KR3 high") == {1: 8, 2: 5, 3: 8}
    assert scores("low on KR1, high on KR2") == {1: 2, 2: 8}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1: 7, 2: 8, 3: 6", {1: 7, 2: 8, 3: 6}),  # was KR1 7 and 2 for all of them
        ("1) 7, 2) 8, 3) 6", {1: 7, 2: 8, 3: 6}),
        ("1: 7, 3: 6", {1: 7, 3: 6}),
        ("7 overall (KR3 is the risk)", {None: 7}),  # was KR3 7
        ("8 overall, KR3 5", {None: 8, 3: 5}),
    ],
)
def test_scores_numbered_on_one_line_or_said_of_all(
    text: str, expected: dict[int | None, int]
) -> None:
    assert scores(text) == expected


def test_unnamed_scores_follow_the_key_results_in_order() -> None:
    assert scores("8 / 7 / 3") == {1: 8, 2: 7, 3: 3}
    assert scores("8\n7\n3") == {1: 8, 2: 7, 3: 3}


def test_a_confidence_answer_that_also_talks_about_energy() -> None:
    assert scores("Confidence 7, energy medium") == {None: 7}
    assert scores("Energy low, but confidence high") == {None: 8}


def test_confidence_said_in_passing() -> None:
    assert scores("KR1 38/45, confidence 8", answer=False) == {1: 8}
    assert scores("Overall I'm 8/10 confident.", answer=False) == {None: 8}
    assert scores("Confidence: KR1 6, KR2 9.", answer=False) == {1: 6, 2: 9}


def test_a_bare_list_of_scores_in_passing_follows_the_key_results_in_order() -> None:
    assert scores("Confidence 8, 6 and 7.", answer=False) == {1: 8, 2: 6, 3: 7}
    assert scores("confidence high / medium / low", answer=False) == {1: 8, 2: 5, 3: 2}
    # Not a bare list: other words between the scores, or one score too few.
    assert scores("Confidence 8, energy 6, mood 7", answer=False) == {None: 8}
    assert scores("Confidence 8 and 6.", answer=False) == {None: 8}


def test_a_status_right_after_a_key_results_label_is_its_confidence_in_passing() -> None:
    assert scores("KR2 is at risk, KR1 on track.", answer=False) == {1: 8, 2: 5}
    assert scores("KR1 done! KR3 🔴", answer=False) == {3: 2}
    assert scores("Good about KR1 (8/10), worried about KR2 (3/10).", answer=False) == {1: 8, 2: 3}
    # Words that mean other things after a label are not a status there.
    assert scores("KR1 high priority, KR2 green light", answer=False) == {}
    # Of a key result whose target is 10, "8/10" is progress.
    ten = [replace(TEAMS, target=Decimal(10))]
    assert read_confidence("KR1 8/10", ten, answer=False).readings == []


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("Zuversicht: hoch", 8),
        ("Vertrauen mittel", 5),
        ("Confiance : moyenne.", 5),
        ("Vertrouwen: hoog", 8),
        ("Confiança: média", 5),
        ("Zuversicht 7/10", 7),
    ],
)
def test_confidence_in_other_languages(text: str, score: int) -> None:
    assert scores(text, answer=False) == {None: score}
    assert scores(text.split()[-1], answer=True) == {None: score}


@pytest.mark.parametrize(
    ("text", "score"),
    [("Zuversicht 7 von 10", 7), ("Confiance : 70 pour cent", 7), ("Confianza 6 de 10", 6)],
)
def test_a_score_out_of_ten_or_a_percentage_in_other_languages(text: str, score: int) -> None:
    assert scores(text, answer=False) == {None: score}
    assert scores(text.split(maxsplit=1)[1].lstrip(": "), answer=True) == {None: score}


@pytest.mark.parametrize(
    ("text", "score"),
    [("Confianza: baja", 2), ("Fiducia alta", 8), ("Confianza alta", 8), ("Confiance basse", 2)],
)
def test_words_that_are_also_english_are_scores_only_right_after_the_word_confidence(
    text: str, score: int
) -> None:
    assert scores(text, answer=False) == {None: score}
    assert scores(text, answer=True) == {None: score}
    assert scores(text.split()[-1], answer=True) == {}  # "alta" alone: maybe a name


def test_media_is_medium_only_right_after_the_word_confidence() -> None:
    # (Not with KRS: "media" would name ONBOARDING, the "median" onboarding time.)
    for answer in (False, True):
        assert [
            r.score for r in read_confidence("Confianza: media", [TEAMS], answer=answer).readings
        ] == [5]
        assert read_confidence("Social media", [TEAMS], answer=answer).readings == []


@pytest.mark.parametrize(
    "text",
    ["KR2 social media: 6", "My confidence in the social media plan is 6.", "Bass Pro: 6"],
)
def test_english_look_alikes_are_no_scores(text: str) -> None:
    assert set(scores(text, answer=True).values()) == {6}


def test_confidence_in_another_language_is_not_progress() -> None:
    assert values("KR1 41/45, Zuversicht 8", listed=False) == {1: ("value", "41")}


def test_a_score_out_of_ten_is_not_progress() -> None:
    assert values("Feeling good about KR1 (8/10), KR2 at 3 days", listed=False) == {
        2: ("value", "3")
    }
    assert values("KR1 41 (8/10)") == {1: ("value", "41")}
    ten = [replace(TEAMS, target=Decimal(10))]
    assert [r.value for r in read_progress("KR1 8/10", ten, listed=True).readings] == [8]


def test_no_score_without_the_word_confidence_in_passing() -> None:
    assert scores("KR1 38/45, KR2 high priority", answer=False) == {}


def test_an_unreadable_confidence_is_reported() -> None:
    scan = read_confidence("KR1 dunno", KRS, answer=True)
    assert scan.readings == []
    assert scan.unclear == ['could not read a confidence for KR1 in "dunno"']


# -- blockers, help, wins -------------------------------------------------------------------


def test_blocker_sentences() -> None:
    text = "Good week. We're blocked on legal. Still waiting on the vendor\nand stuck on SSO."
    assert [note.text for note in sentences_with("blocker", text)] == [
        "We're blocked on legal.",
        "Still waiting on the vendor",
        "and stuck on SSO.",
    ]


def test_help_sentences() -> None:
    text = "Could you nudge legal? All fine otherwise. I need some help with hiring."
    assert [note.text for note in sentences_with("help", text)] == [
        "Could you nudge legal?",
        "I need some help with hiring.",
    ]
    text = "Blocked: SSO vendor\nHelp: a contact at the vendor"
    assert [note.text for note in sentences_with("help", text)] == ["Help: a contact at the vendor"]


@pytest.mark.parametrize(
    ("kind", "text"),
    [  # each was noted as nothing
        ("help", "Could use an intro to someone at Okta."),
        ("help", "It would really help if you could nudge their VP."),
        ("help", "I’d appreciate a hand from the platform team."),
        ("help", "Need a decision from you on exclusivity before Thursday."),
        ("help", "Could we get someone from security to pair with us?"),
        ("help", "Please loop in Markus from finance."),
        ("help", "Precisamos de ajuda do time de design."),
        ("blocker", "Nothing blocking except the firewall change for the cluster."),
        ("blocker", "The only thing slowing us down is the vendor migration."),
        ("blocker", "That's the main thing holding up Bosch."),
        ("blocker", "Wir hängen beim Netzwerk-Team fest."),
        ("blocker", "De juridische review ligt al 2 weken stil."),
    ],
)
def test_blockers_and_help_said_in_other_words(kind: str, text: str) -> None:
    assert [note.text for note in sentences_with(kind, text)] == [text]


@pytest.mark.parametrize(
    "text",
    [
        "Can you believe we closed Allianz on a Friday?",  # was a help request
        "I gave an intro to the team.",
        "Could we get together next week?",
        "Can we get lunch sometime?",
    ],
)
def test_a_question_that_asks_for_nothing_is_no_help_request(text: str) -> None:
    assert sentences_with("help", text) == []


@pytest.mark.parametrize(
    "text",
    [
        "The new pipeline is holding up well under load.",
        "Morale is holding up despite the reorg.",
        "We removed the bottleneck in QA last week.",
        "I put the old dashboard on hold to focus on KR1.",
    ],
)
def test_what_goes_well_or_was_chosen_is_no_blocker(text: str) -> None:
    assert sentences_with("blocker", text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Nothing blocking.",
        "No blockers this week.",
        "I'm not blocked any more.",
        "Nothing is blocking me right now.",
        "We're no longer waiting on the vendor.",
        "I haven't been blocked.",
        "There are no real blockers, and I don't need help.",
        "Blockers: none.",
        "Blockers - n/a",
        "Help needed: no",
    ],
)
def test_a_blocker_or_help_said_not_to_be_is_not_noted(text: str) -> None:
    assert sentences_with("blocker", text) == []
    assert sentences_with("help", text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Not much progress, blocked on legal.",  # the comma ends the negation's reach
        "No progress because we're blocked by legal.",
        "Can't move forward: we're blocked on SSO.",
        "Still stuck on SSO, not blocked on legal though.",
        "Two blockers: legal and the SSO vendor.",
        "Blocked: nothing moves until legal signs.",
    ],
)
def test_a_negation_elsewhere_in_the_sentence_does_not_hide_a_blocker(text: str) -> None:
    assert [note.text for note in sentences_with("blocker", text)] == [text]


@pytest.mark.parametrize(
    "text",
    [
        "Biggest win was the Acme renewal.",
        "A small win: the first invoice went out.",
        "Win: first invoice out of the new engine",
        "Wins this week: two new logos",
        "We won the Acme deal!",
        "Really proud of how the team handled the outage.",
        "The new flow went live on Monday.",
        "Not much else, but we shipped SSO.",
        "Kudos to Ana for the demo.",
    ],
)
def test_a_win_said_anywhere_is_noted(text: str) -> None:
    assert [note.text for note in sentences_with("win", text)] == [text]


@pytest.mark.parametrize(
    "text",
    [
        "We need to win the Acme deal.",  # a plan, not a win
        "If we win Acme we hit the target.",
        "It will be launched next week.",
        "We haven't launched yet.",
        "No wins this week.",
        "Nothing to celebrate.",
        "Wins: none",
        "I won't make the Friday demo.",
        "The Windows build is flaky.",
        "The live demo slipped.",
    ],
)
def test_what_is_no_win_is_not_noted_as_one(text: str) -> None:
    assert sentences_with("win", text) == []


@pytest.mark.parametrize(
    "text", ["", "-", "n/a", "None.", "Nothing this week", "No blockers", "nope"]
)
def test_answers_that_say_nothing(text: str) -> None:
    assert says_nothing(text)
    assert whole_note("blocker", text) == []


@pytest.mark.parametrize(
    "text", ["Keine.", "Keine Blocker", "Nichts", "Rien pour l'instant", "Aucun", "Nada",
             "Ninguno", "Geen", "Niets", "Nessuno", "Nenhum", "RAS", "Sem bloqueios",
             "Nada bloqueando", "Niks", "Nee", "Inga", "Inget som blockerar", "Inga hinder",
             "Ingen problem", "all clear", "nothign really", "Brak", "Nic nie blokuje",
             "Żadnych przeszkód", "[DR] None", "DR: None", "(DR) nothing"]
)  # fmt: skip
def test_answers_that_say_nothing_in_other_languages(text: str) -> None:
    assert says_nothing(text)
    assert whole_note("blocker", text) == []


def test_a_lack_of_something_says_what_is_lacking() -> None:
    assert not says_nothing("Brak dostępu do API")  # Polish: no access to the API


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("blocker", "Wir sind blockiert, bis die Rechtsabteilung unterschreibt."),
        ("blocker", "Nous sommes bloqués par le service juridique."),
        ("blocker", "Seguimos esperando al proveedor de SSO."),
        ("blocker", "We wachten op de leverancier."),
        ("blocker", "Siamo bloccati dal fornitore."),
        ("help", "Ich brauche Hilfe beim Vertrag."),
        ("help", "J'ai besoin d'aide pour le recrutement."),
        ("help", "Necesito ayuda con la contratación."),
    ],
)
def test_blockers_and_help_in_other_languages(kind: str, text: str) -> None:
    assert [note.text for note in sentences_with(kind, text)] == [text]


@pytest.mark.parametrize(
    "text",
    [
        "Hit a non-trivial blocker: the vendor changed their API.",
        "Non-urgent but blocked on legal review.",
        "SEM spend is blocked on finance approval.",
        "PAS team is blocked on data access.",
        "Rien Nguyen is blocked on access.",
        "Nada is stuck on the export.",
        "Inga is stuck on the export.",
        "Ras is blocked on access.",
        "Nic is blocked on access.",
        "IT: nothing yet, waiting on them",  # capitals that are a team, not initials
    ],
)
def test_english_look_alikes_of_foreign_negations_hide_no_blocker(text: str) -> None:
    assert [note.text for note in sentences_with("blocker", text)] == [text]
    assert not says_nothing(text)


@pytest.mark.parametrize(
    "text",
    ["All clear except the vendor API", "All good apart from legal sign-off",
     "Nothing but the IdP vendor", "Sem bloqueios exceto o fornecedor",
     "Inga hinder förutom leverantören"],
)  # fmt: skip
def test_nothing_but_something_names_it(text: str) -> None:
    assert not says_nothing(text)
    assert [note.text for note in whole_note("blocker", text)] == [text]


@pytest.mark.parametrize(
    "text",
    [
        "Nothing behind – the Jyväskylä office opening is on track",
        "No blockers. SSO on track, billing going well.",
        "Nope, all on schedule",
    ],
)
def test_nothing_then_that_all_is_well_is_no_blocker(text: str) -> None:
    assert whole_note("blocker", text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Nothing behind. Our Düsseldorf deal is waiting on the works council.",
        "None - but the vendor is still slow",
        "Nothing new - the vendor API is down again",
        "Nothing. On track but legal is slow",
    ],
)
def test_nothing_then_more_that_is_not_all_well_is_noted(text: str) -> None:
    assert [note.text for note in whole_note("blocker", text)] == [text]


def test_a_name_that_means_nothing_elsewhere_is_still_an_answer() -> None:
    assert [n.text for n in whole_note("blocker", "Nada hasn't signed yet.")] == [
        "Nada hasn't signed yet."
    ]
    assert (
        says_nothing("Nada.") and says_nothing("Nada por ahora") and says_nothing("Rien à signaler")
    )


def test_words_that_merely_start_like_confidence_are_not_it() -> None:
    assert values("Our fiduciary review is 3/5 complete, KR1 38/45.", listed=False) == {
        1: ("value", "38")
    }


@pytest.mark.parametrize(
    "text", ["Keine Blocker diese Woche.", "Nicht mehr blockiert.", "Pas bloqués.", "Sin bloqueos."]
)
def test_a_blocker_said_not_to_be_in_another_language_is_not_noted(text: str) -> None:
    assert sentences_with("blocker", text) == []


@pytest.mark.parametrize(
    ("text", "noted"),
    [
        ("Nothing, thanks.\n\nConfidence: high", []),
        ("Nichts, danke.\n\nZuversicht: hoch", []),
        ("None.\n\nCould you ask legal to hurry?", ["Could you ask legal to hurry?"]),
        ("Legal is slow.\n\nAlso the vendor.", ["Legal is slow.\n\nAlso the vendor."]),
    ],
)
def test_an_answer_that_opens_with_nothing_notes_only_what_the_rest_asks(
    text: str, noted: list[str]
) -> None:
    """Often a paragraph after the last numbered answer is glued onto it: "5. Nothing,
    thanks." then "Confidence: high" is no request for help."""
    notes = whole_note("help", text)
    assert [note.text for note in notes] == noted
    for note in notes:
        assert text[note.span.start : note.span.end] == note.text


@pytest.mark.parametrize(
    ("kind", "text", "noted"),
    [
        ("blocker", "Not blocked anymore, the vendor fixed it.", []),
        ("blocker", "No longer blocked: legal signed on Monday.", []),
        ("blocker", "We got unblocked on Tuesday.", []),
        ("blocker", "Nicht mehr blockiert, der Vertrag ist unterschrieben.", []),
        ("help", "Don't need help anymore, Tom sorted it.", []),
        # What it says besides is the note.
        (
            "blocker",
            "Not blocked anymore. Still waiting on Siemens for the data.",
            ["Still waiting on Siemens for the data."],
        ),
        ("blocker", "Unblocked on SSO, but now stuck on QA.", ["but now stuck on QA."]),
        ("blocker", "No blockers, but waiting on legal.", ["but waiting on legal."]),
        (
            "blocker",
            "Not blocked on legal anymore. The IdP vendor API is down.",
            ["The IdP vendor API is down."],
        ),
        (
            "blocker",
            "We're not blocked. KR2 is behind because the trainer quit.",
            ["KR2 is behind because the trainer quit."],
        ),
        (
            "blocker",
            "Unblocked on SSO; behind on onboarding because two hires left.",
            ["behind on onboarding because two hires left."],
        ),
        # A blocker said to be over (was the blocker, still open).
        ("blocker", "No blockers, the earlier blocker with the vendor is resolved.", []),
        ("blocker", "The SSO blocker got sorted out.", []),
        (
            "blocker",
            "Legal blocker resolved; the vendor is still late",
            ["the vendor is still late"],
        ),
        # Not denials: the whole answer is the blocker.
        ("blocker", "Blocked on the vendor, not resolved yet", None),
        ("blocker", "The vendor blocker is resolved but legal is still slow", None),
        ("blocker", "The blocker hasn't been fixed yet", None),
        ("blocker", "Blocked until legal has cleared the contract", None),
        ("blocker", "Blocked: two engineers gone", None),
        ("blocker", "Nothing blocking except the firewall change.", None),
        ("blocker", "Nothing major, but legal still has not signed the MSA", None),
    ],
)
def test_an_answer_that_says_the_blocker_is_gone_notes_only_what_still_blocks(
    kind: str, text: str, noted: list[str] | None
) -> None:
    """The digest lists blockers with how long each has been open: "Not blocked anymore"
    listed there would read as last week's blocker, still open."""
    notes = whole_note(kind, text)
    assert [note.text for note in notes] == (noted if noted is not None else [text])
    for note in notes:
        assert text[note.span.start : note.span.end] == note.text


def test_an_answer_is_a_note_with_its_span() -> None:
    text = "  Nothing major, but legal still has not signed the MSA  "
    [note] = whole_note("blocker", text)
    assert note.text == text.strip()
    assert text[note.span.start : note.span.end] == note.text


@pytest.mark.parametrize(
    ("key_results", "text"),
    [
        ([ONBOARDING, COVERAGE], "60%\n64%"),  # no KR1
        ([TEAMS, replace(ONBOARDING, number=1)], "38\n64%"),  # KR1 twice, no KR2
        ([TEAMS, replace(COVERAGE, number=7)], "38, 64"),  # a number skipped
    ],
)
def test_key_results_not_numbered_one_to_n(key_results: list[KeyResultRef], text: str) -> None:
    """Items are matched to KR1, KR2, ... by order; a missing number is not an error."""
    scan = read_progress(text, key_results, listed=True)
    assert {reading.kr_number for reading in scan.readings} <= {kr.number for kr in key_results}

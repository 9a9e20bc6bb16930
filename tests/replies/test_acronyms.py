"""A key result named by its initials ("MTTR" for "Mean time to recovery"), and "45m" of
a key result counted in minutes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from okrmail.replies.answers import KeyResultRef, parse_reply
from tests.replies.test_parse_reply_probe import WEEKLY

SRE = [
    KeyResultRef(1, "Availability", Decimal("99.5"), Decimal("99.95"), "%", None),
    KeyResultRef(2, "Mean time to recovery", Decimal(90), Decimal(30), "minutes", None),
    KeyResultRef(3, "Services with SLOs", Decimal(4), Decimal(20), "services", None),
]
SALES = [
    KeyResultRef(
        1, "Grow monthly recurring revenue to €50k", Decimal(0), Decimal(50_000), "EUR", None
    ),
    KeyResultRef(2, "Raise net promoter score from 30 to 45", Decimal(30), Decimal(45), "", None),
]


def values(body: str, key_results: list[KeyResultRef]) -> dict[int, str]:
    parsed = parse_reply(body, WEEKLY, key_results)
    return {r.kr_number: str(r.value) for r in parsed.progress if r.value is not None}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Availability: 99.93\nMTTR: 45m\nSLOs: 9", {1: "99.93", 2: "45", 3: "9"}),
        (
            "Uptime 99.93% this month, MTTR came down to 45 minutes (from 70).",
            {1: "99.93", 2: "45"},
        ),
        ("1. MTTR 38 min", {2: "38"}),
        ("1. MTR is 38 minutes now", {2: "38"}),
    ],
)
def test_a_key_result_is_named_by_the_initials_of_its_title(
    body: str, expected: dict[int, str]
) -> None:
    assert values(body, SRE) == expected


def test_initials_skip_the_verb_of_change_and_the_target() -> None:
    assert values("1. MRR €41k, NPS 38", SALES) == {1: "41000", 2: "38"}


def test_initials_in_small_letters_are_a_word_not_a_name() -> None:
    # "mtr" and "mrr" name nothing in small letters; read by order in a numbered answer.
    assert values("1. the mtr was 41", SRE) == {}


def test_m_after_a_number_is_minutes_of_a_key_result_in_minutes_and_millions_elsewhere() -> None:
    assert values("1. KR2 45m", SRE) == {2: "45"}
    revenue = [KeyResultRef(1, "Pipeline value", Decimal(0), Decimal(5_000_000), "GBP", None)]
    assert values("1. KR1 2.5m", revenue) == {1: "2500000"}


def test_a_key_result_is_named_by_a_common_other_name_of_its_metric() -> None:
    availability = KeyResultRef(
        1, "Availability at 99.9%", Decimal("99.5"), Decimal("99.9"), "%", None
    )
    assert values("Uptime 99.95%", [availability, *SRE[1:]]) == {1: "99.95"}
    assert values("uptime is at 99.95% this month", [availability, *SRE[1:]]) == {1: "99.95"}
    churn = KeyResultRef(1, "Cut monthly churn to 2%", Decimal(4), Decimal(2), "%", None)
    assert values("Attrition: 3.1%", [churn, SALES[1]]) == {1: "3.1"}
    assert values("nps is 41 now", [churn, SALES[1]]) == {2: "41"}
    csat = KeyResultRef(
        1, "Raise customer satisfaction to 90%", Decimal(80), Decimal(90), "%", None
    )
    assert values("CSAT 87%", [csat]) == {1: "87"}
    # A name both key results' titles give names neither; other words, nothing.
    both = [
        availability,
        KeyResultRef(2, "Uptime of the EU region", Decimal(99), Decimal(100), "%", None),
    ]
    assert values("Uptime 99.95%", both) == {}
    assert values("our uptime dashboard has 3 panels now", SRE) == {}

"""What the manager's digest says, read from the email that went out after whole
conversations (tick, SMTP on loopback, ingest; see tests/test_followup.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from itertools import pairwise

import pytest

from okrmail.digest_view import SPARK, sparkline
from tests.test_followup import (
    ANSWERS,
    Run,
    thursday,
)

FIRST = """1. KR1 18/50, KR2 31%
2. Blocked on the data export from finance
4. KR1 7, KR2 5"""


# A section heading of the text part: a line of capitals only ("KEY RESULTS").
HEADING = re.compile(r"[A-Z][A-Z ]{3,}")


def conversation(run: Run, *replies: str | None) -> EmailMessage:
    """Rob answers (or, for None, does not answer) one weekly prompt after another, each
    on the Tuesday after it came; the digest of the last week's meeting."""
    week = timedelta(weeks=1)
    for number, body in enumerate(replies):
        run.until(thursday(14, 30, day=17) + number * week)
        if body is not None:
            prompt = run.emails("prompt", "rob@example.com")[-1]
            outcome = run.reply(prompt, "rob@example.com", body)
            assert outcome.status == "checkin", outcome.reason
    run.until(thursday(15) + (len(replies) - 1) * week)
    return run.emails("digest", "mia@example.com")[-1]


def text(digest: EmailMessage) -> str:
    return digest.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html(digest: EmailMessage) -> str:
    return " ".join(digest.get_body(("html",)).get_content().split())


def lines(digest: EmailMessage) -> list[str]:
    return [line.strip() for line in text(digest).splitlines()]


def test_a_blocker_not_answered_since_is_not_shown_as_new(run: Run) -> None:
    """Rob answered last week and not this week: his blocker of last week was "(new)"."""
    digest = conversation(run, FIRST, None)

    assert "NO CHECK-IN YET" in text(digest)
    blocker = (
        "- Blocked on the data export from finance"
        " (from the check-in for Thu 19 Nov 14:00; none since)"
    )
    assert blocker in lines(digest)
    assert "(new)" not in text(digest)
    assert (
        "Blocked on the data export from finance <span "
        in html(digest)  # the label follows, and it does not say new
    )
    assert ">new<" not in html(digest)
    assert "from the check-in for Thu 19 Nov 14:00; none since" in html(digest)


def test_a_blocker_gone_from_this_check_in_is_shown_no_longer_mentioned(run: Run) -> None:
    """Last week's blocker, no longer mentioned, vanished from the digest without a word;
    only the blockers still open were listed. Another blocker named instead is no news
    that the old one is fixed: it is shown as not mentioned, for the meeting to ask."""
    second = """1. KR1 20/50, KR2 33%
2. The staging server is down
4. KR1 7, KR2 5"""
    digest = conversation(run, FIRST, second)

    shown = lines(digest)
    assert "- The staging server is down (new)" in shown
    assert "- Blocked on the data export from finance (not mentioned this time)" in shown
    assert shown.index("- The staging server is down (new)") < shown.index(
        "- Blocked on the data export from finance (not mentioned this time)"
    )
    page = html(digest)
    assert "The staging server is down <span" in page and ">new</span>" in page
    assert "Blocked on the data export from finance <span" in page
    assert "not mentioned this time</span>" in page


def test_a_blocker_still_there_is_open_and_a_resolved_one_needs_no_open_ones(run: Run) -> None:
    third = """1. KR1 22/50, KR2 35%
2. None, all clear now
4. KR1 8, KR2 6"""
    digest = conversation(run, FIRST, FIRST, third)

    shown = lines(digest)
    assert "BLOCKERS" in shown
    assert "- Blocked on the data export from finance (resolved since last check-in)" in shown
    assert not any(line.endswith("(new)") or "open for" in line for line in shown)


def test_a_blocker_left_out_of_a_check_in_that_skips_the_question_is_not_resolved(
    run: Run,
) -> None:
    skipped = """1. KR1 22/50, KR2 35%
4. KR1 8, KR2 6"""
    digest = conversation(run, FIRST, skipped)

    shown = lines(digest)
    assert "- Blocked on the data export from finance (not mentioned this time)" in shown
    assert "resolved" not in text(digest)


WORDY = f"""{ANSWERS}
6. I need help from Ana to get the finance export prioritised.
7. Our biggest win was that the new onboarding flow went live on Monday."""


@pytest.mark.parametrize(
    ("body", "sections"),
    [
        (ANSWERS, {"KEY RESULTS", "BLOCKERS"}),
        (WORDY, {"KEY RESULTS", "BLOCKERS", "ASKS FOR HELP", "WINS WORTH RECOGNISING"}),
        (None, {"KEY RESULTS"}),
    ],
    ids=["blockers", "help-and-wins", "no-answer"],
)
def test_every_section_of_the_digest_starts_after_a_blank_line(
    run: Run, body: str | None, sections: set[str]
) -> None:
    """The prep questions' heading came on the line right after the last blocker."""
    digest = conversation(run, body)

    shown = lines(digest)
    headings = [number for number, line in enumerate(shown) if HEADING.fullmatch(line)]
    assert {shown[n] for n in headings} == {*sections, "YOUR PREP QUESTIONS"}
    for number in headings:
        assert shown[number - 1] == "", f"no blank line before {shown[number]!r}"
    assert "\n\n\n" not in text(digest), "one blank line, not two"


def test_a_one_point_change_in_confidence_shows_in_the_sparkline(run: Run) -> None:
    """7 then 8 was drawn as two blocks of the same height."""
    second = """1. KR1 20/50, KR2 33%
2. The staging server is down
4. KR1 8, KR2 5"""
    digest = conversation(run, FIRST, second)

    trends = [line for line in lines(digest) if line.startswith("confidence:")]
    assert len(trends) == 2
    rising, flat = (line.split() for line in trends)
    assert rising[1:4] == ["7", "→", "8"] and flat[1:4] == ["5", "→", "5"]
    up, same = rising[-1], flat[-1]
    assert len(up) == 2 and up[0] < up[1], up  # the block characters rise with the score
    assert len(same) == 2 and same[0] == same[1], same
    assert f'letter-spacing: 1px;">{up}</span>' in html(digest)


@pytest.mark.parametrize("low", range(1, 10))
def test_each_one_point_step_of_confidence_is_one_block_up(low: int) -> None:
    for trend in ([low, low + 1], [low + 1, low], [low, low, low + 1]):
        blocks = sparkline(trend)
        heights = [SPARK.index(block) for block in blocks]
        steps = [after - before for before, after in pairwise(heights)]
        scores = [after - before for before, after in pairwise(trend)]
        assert steps == scores, (trend, blocks)


@pytest.mark.parametrize("trend", [[1, 7, 8, 10], [1, 2, 9, 10], [10, 2, 3, 1, 9]])
def test_scores_far_apart_still_keep_every_score_its_own_height(trend: list[int]) -> None:
    """Eight heights for ten scores: a trend from 1 to 10 is squeezed, but two different
    scores in it never share a height, and a higher score is never lower."""
    heights = [SPARK.index(block) for block in sparkline(trend)]
    for score, height in zip(trend, heights, strict=True):
        for other, other_height in zip(trend, heights, strict=True):
            assert (score < other) == (height < other_height), (trend, heights)


def test_a_first_reading_is_not_said_twice(run: Run) -> None:
    """ "18 teams (20% of the way from 10 to 50 teams); now 18 teams (first reading)"
    said the value twice."""
    digest = conversation(run, FIRST)

    shown = lines(digest)
    assert "18 teams (20% of the way from 10 to 50 teams); first reading" in shown
    assert "now 18" not in text(digest)
    assert "18 teams (20% of the way from 10 to 50 teams); first reading" in html(digest)


def test_changes_of_a_check_in_not_answered_since_are_said_to_be_from_it(run: Run) -> None:
    """Rob answered two weeks running, then not: the third week's digest showed the
    second week's "+2 teams since last check-in" as if it were new."""
    second = """1. KR1 20/50, KR2 31%
4. KR1 7, KR2 5"""
    digest = conversation(run, FIRST, second, None)

    shown = lines(digest)
    assert "NO CHECK-IN YET" in text(digest)
    assert (
        "20 teams (25% of the way from 10 to 50 teams); +2 teams in the check-in for"
        " Thu 26 Nov 14:00 (18 → 20);"
        " none since" in shown
    )
    assert (
        "31% (28% of the way from 20 to 60%); no change in the check-in for Thu 26 Nov 14:00"
        " (31%); none since" in shown
    )
    assert "since last check-in" not in text(digest)
    assert "+2 teams in the check-in for Thu 26 Nov 14:00 (18 → 20); none since" in html(digest)


def test_changes_of_this_meetings_check_in_are_since_the_last_one(run: Run) -> None:
    second = """1. KR1 20/50, KR2 31%
4. KR1 7, KR2 5"""
    digest = conversation(run, FIRST, second)

    shown = lines(digest)
    assert (
        "20 teams (25% of the way from 10 to 50 teams); +2 teams since last check-in (18 → 20)"
        in shown
    )
    assert "none since" not in text(digest)

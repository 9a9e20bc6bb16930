"""A question set that asks the manager too (coaching-prep): the manager's own answers,
by email, come back to them in the digest, and their confirmation asks nothing of their
report's key results."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from okrmail.app import AppContext
from okrmail.clock import ManualClock
from tests.test_followup import MIA, MONDAY, Run, scenario_with, smtp_context, thursday

ROB_COACHING = (
    "rob@example.com,Rob Report,mia@example.com,Europe/Berlin,09:00-17:00,Mon-Fri,weekly,"
    "coaching-prep"
)
MIA_PREP = """1. Help him say no to the side requests from sales.
2. Mostly: the activation work is the right bet.
3. The importer launch went out without a single incident.
4. The data export from finance; I will chase their director."""


@pytest.fixture
def run(ctx: AppContext, clock: ManualClock, smtp_server: Any, tmp_path: Path) -> Run:
    clock.set(MONDAY)
    scenario = smtp_context(ctx, clock, smtp_server)
    return scenario_with(scenario, clock, smtp_server[2], tmp_path, MIA, ROB_COACHING)


def plain(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def test_the_managers_prep_answers_are_in_their_digest(run: Run) -> None:
    """They were not: "YOUR PREP QUESTIONS" listed the four questions unanswered, the
    answers Mia had sent two days before lost in a thread."""
    run.until(thursday(14, 30, day=17))
    [prep] = run.emails("prompt", "mia@example.com")
    outcome = run.reply(prep, "Mia Manager <mia@example.com>", MIA_PREP)
    assert outcome.status == "checkin", outcome.reason

    run.until(thursday(15))

    [digest] = run.emails("digest", "mia@example.com")
    text = plain(digest)
    prep_part = text[text.index("YOUR PREP QUESTIONS") :]
    assert "  - What coaching can I give them right now?\n" in prep_part.replace("\r\n", "\n")
    assert "    Help him say no to the side requests from sales." in prep_part
    assert "    The importer launch went out without a single incident." in prep_part
    html = digest.get_body(("html",)).get_content()
    assert "The data export from finance; I will chase their director." in html


def test_unanswered_prep_questions_are_listed_on_their_own(run: Run) -> None:
    run.until(thursday(15))
    [digest] = run.emails("digest", "mia@example.com")
    prep_part = plain(digest).replace("\r\n", "\n").split("YOUR PREP QUESTIONS\n", 1)[1]
    assert prep_part.startswith(
        "  - What coaching can I give them right now?\n"
        "  - Are they focusing on the right outcomes?\n"
    )


def test_the_managers_confirmation_does_not_list_their_reports_key_results(run: Run) -> None:
    """It listed Rob's two key results, each "progress: not given", "confidence: not
    given", though nothing had asked Mia for them."""
    run.until(thursday(14, 30, day=17))
    [prep] = run.emails("prompt", "mia@example.com")
    assert run.reply(prep, "mia@example.com", MIA_PREP).status == "checkin"
    [confirmation] = run.emails("confirm", "mia@example.com")
    text = plain(confirmation)
    assert "KEY RESULTS" not in text and "not given" not in text
    assert "Help him say no to the side requests from sales." in text

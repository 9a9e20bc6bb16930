"""Outlook users answer inside the prompt it quotes, with no ">" marks, in plain text or
HTML: only their words are theirs. Two things in our prompt looked typed there: the
line under a key result once the key result had moved (a second reply to one prompt), and
a question's hint when the answer was typed between the question and it."""

from __future__ import annotations

import re
from email.message import EmailMessage

from sqlalchemy import select

from okrmail.models import CheckInAnswer, KeyResult
from tests.test_followup import Run, thursday

RULE = "________________________________"  # Outlook's line above the quoted email
OUTLOOK_HEADER = (
    "From: okrmail <checkins@example.com>\nSent: Tuesday, November 17, 2026 2:00 PM\n"
    "To: Rob <rob@example.com>\nSubject: Weekly check-in\n"
)
OUTLOOK_HTML_HEADER = (
    '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
    '<p class="MsoNormal"><b>From:</b> okrmail &lt;checkins@example.com&gt;<br>'
    "<b>Sent:</b> Tuesday, November 17, 2026 2:00 PM<br><b>Subject:</b> Weekly check-in</p></div>"
)


def send(run: Run, prompt: EmailMessage, text: str = "", html: str | None = None) -> None:
    outcome = run.send_reply(prompt, "rob@example.com", text, html=html)
    assert outcome.status == "checkin", outcome.reason


def current_values(run: Run) -> dict[str, object]:
    with run.ctx.sessions() as session:
        return {kr.title: kr.current_value for kr in session.scalars(select(KeyResult))}


def blockers_answer(run: Run) -> str | None:
    """The current answer to the blockers question, as recorded."""
    with run.ctx.sessions() as session:
        return session.scalar(
            select(CheckInAnswer.text).where(
                CheckInAnswer.question_key == "blockers", CheckInAnswer.current.is_(True)
            )
        )


def typed_under(prompt_text: str, question: int, answer: str, *, below_hint: bool = False) -> str:
    """The prompt's text with `answer` typed on the line after question `question`: above
    its hint, or below it."""
    hint = r"\n\s*\(e\.g\. .*" if below_hint else ""
    return re.sub(
        rf"(?m)^({question}\. .*{hint})$", lambda m: f"{m[1]}\n{answer}", prompt_text, count=1
    )


def test_a_second_reply_quoting_the_prompt_does_not_take_a_key_result_back(run: Run) -> None:
    with run.ctx.transaction() as session:  # where last week's check-in left them
        for kr in session.scalars(select(KeyResult)):
            kr.current_value = {"Weekly active teams": 14, "Activation rate": 28}[kr.title]
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    send(run, prompt, "1. KR1 18/50, KR2 31%\n4. KR1 7, KR2 5")
    assert current_values(run) == {"Weekly active teams": 18, "Activation rate": 31}

    # Later, in Outlook, an answer typed into the same prompt, which still says where the
    # key results stood before the first reply.
    plain = prompt.get_body(("plain",)).get_content()
    assert "14 teams (10% of the way from 10 to 50 teams)" in plain
    assert "28% (20% of the way from 20 to 60%)" in plain
    body = typed_under(plain, 2, "Finance sent the export, unblocked now.", below_hint=True)
    send(run, prompt, f"See 2 below.\n\n{RULE}\n{OUTLOOK_HEADER}\n{body}")
    assert current_values(run) == {"Weekly active teams": 18, "Activation rate": 31}
    assert blockers_answer(run) == "Finance sent the export, unblocked now."

    html = prompt.get_body(("html",)).get_content()
    inner = re.search(r"<body[^>]*>(.*)</body>", html, re.S)
    assert inner is not None
    answered = inner[1].replace(
        "vendor API is still down</span>",
        'vendor API is still down</span><br><span style="color:#C00000">Still waiting on legal.'
        "</span>",
    )
    send(run, prompt, html=f"<html><body><p>Inline in red.</p>{OUTLOOK_HTML_HEADER}{answered}")
    assert current_values(run) == {"Weekly active teams": 18, "Activation rate": 31}
    assert blockers_answer(run) == "Still waiting on legal."


def test_a_prompt_sent_before_the_upgrade_is_known_by_its_old_key_result_lines(run: Run) -> None:
    """Prompts said "14 of 50 teams (10%)" for a key result that started at 10, until the
    line said how far it had come ("14 teams (10% of the way from 10 to 50 teams)"). A
    reply to a prompt sent before the upgrade quotes the old line, and it is still ours."""
    with run.ctx.transaction() as session:
        for kr in session.scalars(select(KeyResult)):
            kr.current_value = {"Weekly active teams": 14, "Activation rate": 28}[kr.title]
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    send(run, prompt, "1. KR1 18/50, KR2 31%\n4. KR1 7, KR2 5")

    plain = prompt.get_body(("plain",)).get_content()
    old = plain.replace("14 teams (10% of the way from 10 to 50 teams)", "14 of 50 teams (10%)")
    old = old.replace("28% (20% of the way from 20 to 60%)", "28 of 60% (20%)")
    assert "14 of 50 teams (10%)" in old and "28 of 60% (20%)" in old
    body = typed_under(old, 2, "Finance sent the export, unblocked now.", below_hint=True)
    send(run, prompt, f"See 2 below.\n\n{RULE}\n{OUTLOOK_HEADER}\n{body}")
    assert current_values(run) == {"Weekly active teams": 18, "Activation rate": 31}
    assert blockers_answer(run) == "Finance sent the export, unblocked now."


def test_an_answer_typed_above_the_questions_hint_leaves_the_hint_out(run: Run) -> None:
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    body = typed_under(prompt.get_body(("plain",)).get_content(), 2, "Nothing is behind.")
    body = typed_under(body, 1, "KR1 20/50, KR2 33%")
    send(run, prompt, f"Answers inline.\n\n{RULE}\n{OUTLOOK_HEADER}\n{body}")
    # Not "Nothing is behind. e.g. KR2 is behind because the vendor API is still down".
    assert blockers_answer(run) == "Nothing is behind."
    [confirmation] = run.emails("confirm", "rob@example.com")
    text = confirmation.get_body(("plain",)).get_content()
    assert "vendor API" not in text
    assert current_values(run) == {"Weekly active teams": 20, "Activation rate": 33}

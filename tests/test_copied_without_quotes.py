"""Replies that carry our email as a bare copy: no ">" marks and no "From:/Sent:" block
above it (pasted back, or a client that copies the text as it is). Our greeting and
instructions are not the person's words, and a confirmation's recap is not their answer."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import select

from okrmail.models import KeyResult
from tests.test_followup import Run, thursday

TYPED_UNDER = {  # what Rob types under each question of the copy
    1: "KR1 18/50, KR2 31%",
    2: "Blocked on the data export from finance",
    3: "Pairing with Ana on the export on Friday",
    4: "KR1 7, KR2 5",
}


def plain(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def answered_in_copy(text: str) -> str:
    """`text` with an answer typed under each numbered question (below its hint)."""
    out: list[str] = []
    pending: int | None = None
    for line in text.splitlines():
        if pending is not None and not line.strip():
            out.append(TYPED_UNDER[pending])
            pending = None
        out.append(line)
        number, dot, _ = line.partition(".")
        if dot and number.isdigit() and int(number) in TYPED_UNDER:
            pending = int(number)
    return "\n".join(out)


def test_answers_typed_into_a_bare_copy_of_the_prompt_keep_only_the_persons_words(
    run: Run,
) -> None:
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    body = "Demo day with Acme moved to the 3rd.\n\n" + answered_in_copy(plain(prompt))
    assert run.send_reply(prompt, "rob@example.com", body).status == "checkin"

    [confirmation] = run.emails("confirm", "rob@example.com")
    noted = plain(confirmation).split("NOTED\n", 1)[1].split("\n\n", 1)[0]
    # The blocker is the answer to question 2, shown there: not noted again.
    assert noted.splitlines() == ["  - Kept as a note: Demo day with Acme moved to the 3rd."]
    run.until(thursday(15))
    [digest] = run.emails("digest", "mia@example.com")
    text = " ".join(plain(digest).split())
    assert "Also wrote: Demo day with Acme moved to the 3rd." in text
    assert "HOW TO ANSWER" not in text and "Hi Rob" not in text
    assert "Pairing with Ana on the export on Friday" in text


def test_a_correction_above_a_bare_copy_of_the_confirmation_is_read_not_its_recap(
    run: Run,
) -> None:
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    outcome = run.send_reply(prompt, "rob@example.com", answered_in_copy(plain(prompt)))
    assert outcome.status == "checkin"
    [confirmation] = run.emails("confirm", "rob@example.com")

    correction = f"Sorry, KR1 is 20 now.\n\n{plain(confirmation)}"
    assert run.send_reply(confirmation, "rob@example.com", correction).status == "checkin"
    with run.ctx.sessions() as session:
        teams = session.scalars(select(KeyResult).where(KeyResult.title == "Weekly active teams"))
        assert [result.current_value for result in teams] == [20]
    latest = plain(run.emails("confirm", "rob@example.com")[-1])
    answers = latest.split("YOUR ANSWERS\n", 1)[1]
    # The recap's questions were not taken for numbered answers, nor its values for news.
    assert "   Blocked on the data export from finance\n" in answers
    assert "   Pairing with Ana on the export on Friday\n" in answers
    assert "Thanks, your check-in" not in latest.split("NOTED", 1)[-1]

"""A check-in corrected by a later reply: the answer stays as the person wrote it, and
beside it the values that replaced what it said, in the confirmation and in the digest."""

from __future__ import annotations

from email.message import EmailMessage

from tests.test_followup import (
    ANSWERS,
    Run,
    thursday,
)


def plain(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_a_corrected_value_is_shown_beside_the_answer_that_gave_the_old_one(run: Run) -> None:
    """The answer read "KR1 18/50" in the confirmation and the digest, above a key result
    that said 20: which one was right?"""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert run.reply(prompt, "rob@example.com", ANSWERS).status == "checkin"
    [first] = run.emails("confirm", "rob@example.com")
    assert "since updated" not in plain(first)
    correction = "Sorry, KR1 is 20, not 18. And KR2 confidence 6"
    assert run.reply(first, "rob@example.com", correction).status == "checkin"

    second = run.emails("confirm", "rob@example.com")[-1]
    text = plain(second)
    assert "   KR1 18/50, KR2 31%\n   (since updated: KR1 20)\n" in text
    assert "   KR1 7, KR2 5\n   (since updated: KR2 confidence 6/10)\n" in text
    assert "since updated: KR1 20" in second.get_body(("html",)).get_content()

    run.until(thursday(15))
    [digest] = run.emails("digest", "mia@example.com")
    text = plain(digest)
    assert "     KR1 18/50, KR2 31%\n     (since updated: KR1 20)\n" in text
    assert "     KR1 7, KR2 5\n     (since updated: KR2 confidence 6/10)\n" in text
    assert "since updated: KR2 confidence 6/10" in digest.get_body(("html",)).get_content()


def test_an_answer_given_again_replaces_the_old_one_without_a_note(run: Run) -> None:
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert run.reply(prompt, "rob@example.com", ANSWERS).status == "checkin"
    [first] = run.emails("confirm", "rob@example.com")
    assert run.reply(first, "rob@example.com", "1. KR1 20/50, KR2 33%").status == "checkin"
    text = plain(run.emails("confirm", "rob@example.com")[-1])
    assert "   KR1 20/50, KR2 33%\n" in text
    assert "since updated" not in text


def test_a_line_that_only_gave_values_is_not_shown_again_as_a_note(run: Run) -> None:
    """ "KR1 20" typed above the confirmation is KR1's new value, shown with the answer it
    updates; it was also shown under "Kept as a note" (and "Also wrote" in the digest), as
    if it had said something more. Words beside the values keep a note shown."""
    run.until(thursday(14, 30, day=17))
    [prompt] = run.emails("prompt", "rob@example.com")
    assert run.reply(prompt, "rob@example.com", ANSWERS).status == "checkin"
    [first] = run.emails("confirm", "rob@example.com")
    assert run.reply(first, "rob@example.com", "KR1: 20\nConfidence KR2 6").status == "checkin"

    second = plain(run.emails("confirm", "rob@example.com")[-1])
    assert "   KR1 18/50, KR2 31%\n   (since updated: KR1 20)\n" in second
    assert "Kept as a note" not in second
    run.until(thursday(15))
    [digest] = run.emails("digest", "mia@example.com")
    assert "Also wrote" not in plain(digest) and "KR1: 20" not in plain(digest)

    later = run.emails("confirm", "rob@example.com")[-1]
    assert run.reply(later, "rob@example.com", "KR1 21, finally moving").status == "checkin"
    third = plain(run.emails("confirm", "rob@example.com")[-1])
    assert "- Kept as a note: KR1 21, finally moving" in third
    assert "KR1: 20" not in third  # a value since replaced, read from that line all the same

    # In any language the reader knows: "Zuversicht: hoch" is a confidence of 8, no more.
    latest = run.emails("confirm", "rob@example.com")[-1]
    assert run.reply(latest, "rob@example.com", "Zuversicht: hoch").status == "checkin"
    fourth = plain(run.emails("confirm", "rob@example.com")[-1])
    assert "confidence: 8/10" in fourth
    assert "Zuversicht" not in fourth.split("YOUR ANSWERS", 1)[1]

    # Lines ending in spaces (format=flowed clients send them) are the same note.
    latest = run.emails("confirm", "rob@example.com")[-1]
    flowed = "Hi Mia, \nKR1: 22  \n\nThanks, \nRob"
    assert run.reply(latest, "rob@example.com", flowed).status == "checkin"
    fifth = plain(run.emails("confirm", "rob@example.com")[-1])
    assert "(since updated: KR1 22" in fifth
    assert "KR1: 22" not in fifth.split("NOTED", 1)[1]

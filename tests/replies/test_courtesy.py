"""Greetings, sign-offs, names and pointers to the answers say nothing a manager needs."""

import pytest

from okrmail.replies.courtesy import promises_later, without_courtesies


@pytest.mark.parametrize(
    "note",
    [
        "Hi Sam,\n\nThanks,\nDana",
        "Hallo zusammen!\n\nViele Grüße\nJonas Weber",
        "Bonjour Hugo,\n\nMerci !\nCamille",
        "Answers inline below.",
        "Hi Hugo, see my answers below in blue.",
        "Hallo Katrin, meine Antworten stehen unten.",
        "Siehe unten / see below.",
        "С уважением,\nАлексей",
        "/Søren",
        "  \n\n",
    ],
)
def test_courtesies_say_nothing(note: str) -> None:
    assert without_courtesies(note) == ""


@pytest.mark.parametrize(
    "note",
    [
        "Out next week.",
        "The dashboard is below target again",  # "below", but not a pointer to answers
        "Back on Monday",
        "Hej Anna! Cloud spend landed at 82.5k this month (KR1).",
        "Thanks to Ana the export finally runs nightly, a week ahead of plan.",
        # Look like courtesies, but say something: a sentence after a greeting word or a
        # sign-off word, capitalised words that are no name, "below" that points nowhere.
        "All Good",
        "Best week in a while.",
        "Hola equipo ya terminamos",
        "Churn is below 2%, see the dashboard",
        "Thanks, blocked on legal",
        "Done",
        "Hey all done",
    ],
)
def test_anything_more_is_worth_showing(note: str) -> None:
    assert without_courtesies(note) == note


@pytest.mark.parametrize(
    ("note", "shown"),
    [
        ("On Track\n\nRob", "On Track"),
        ("Shipped Payments.\n\nThanks,\nRob", "Shipped Payments."),
        ("Out Friday.\nSee you Monday", "Out Friday."),
        ("Shipped.\nBlocked", "Shipped.\nBlocked"),
        ("Dear Mia and Ana,\nShipped it.\nThanks a lot!\nRob", "Shipped it."),
        ("Hi all\nDemo moved to Thursday.\nKind regards,\nDana Reyes", "Demo moved to Thursday."),
    ],
)
def test_only_the_courtesies_around_a_note_go(note: str, shown: str) -> None:
    assert without_courtesies(note) == shown


def test_the_courtesies_around_what_a_note_says_are_left_out() -> None:
    note = "Hi Sam,\n\nShipped the importer.\nThanks\nto Ana, it runs nightly.\n\nCheers,\nDana"
    assert without_courtesies(note) == "Shipped the importer.\nThanks\nto Ana, it runs nightly."


@pytest.mark.parametrize(
    "note",
    [
        "Thanks, will answer tomorrow!",
        "Sorry, crazy week. Will answer tomorrow!\n\nLena",
        "I'll get back to you on Monday.",
        "Answers to follow.",
        "Antworte morgen, sorry!",
        "Je réponds demain.",
        "Te respondo mañana",
    ],
)
def test_a_promise_to_answer_later(note: str) -> None:
    assert promises_later(note)


@pytest.mark.parametrize(
    "note",
    [
        "We will ship the portal next week.",  # news, not about the answers
        "Good week, nothing special.",
        "I will send the numbers tomorrow, but KR1 is done.",  # says something now
        "Will answer tomorrow. " + "The migration went better than we feared. " * 4,
        "",
    ],
)
def test_more_than_a_promise(note: str) -> None:
    assert not promises_later(note)

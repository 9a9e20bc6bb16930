"""Reply trimmer: benchmark against Discourse's email_reply_trimmer corpus, plus unit tests.

The corpus (MIT, see tests/corpora/email_reply_trimmer/LICENSE) pairs raw reply bodies
(emails/NAME.txt) with the expected trimmed text (trimmed/NAME.txt).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from okrmail.replies.trim import split_reply, trim_reply

CORPUS = Path(__file__).resolve().parent.parent / "corpora" / "email_reply_trimmer"
REQUIRED_MATCHES = 58
_BLANK_RUNS = re.compile(r"\n{3,}")


def _normalise(text: str) -> str:
    """Strip each line's trailing spaces, collapse blank-line runs, strip the whole text."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def _read(path: Path) -> str:
    # newline="" keeps the corpus's \r\n case intact: trim_reply must normalise it itself.
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def test_corpus_match_count() -> None:
    emails = sorted((CORPUS / "emails").glob("*.txt"))
    assert len(emails) == 64
    failing = [
        email.name
        for email in emails
        if _normalise(trim_reply(_read(email)))
        != _normalise(_read(CORPUS / "trimmed" / email.name))
    ]
    matches = len(emails) - len(failing)
    assert matches >= REQUIRED_MATCHES, f"{matches}/{len(emails)} match; failing: {failing}"


def test_split_reply_returns_reply_and_elided_remainder() -> None:
    for email in sorted((CORPUS / "emails").glob("*.txt")):
        text = _read(email)
        reply, elided = split_reply(text)
        assert reply == trim_reply(text)
        if _normalise(reply) != _normalise(text):
            assert elided, email.name


def test_german_attribution_wrapped_over_two_lines() -> None:
    body = (
        "Läuft gut, KR2 ist bei 60%.\n"
        "\n"
        "Am Mo., 5. Feb. 2024 um 10:00 Uhr schrieb OKR Bot <\n"
        "bot@okr.example>:\n"
        "\n"
        "> Wie läuft es mit KR2?\n"
    )
    reply, elided = split_reply(body)
    assert reply == "Läuft gut, KR2 ist bei 60%."
    # The wrapped attribution is elided as one line.
    assert elided.startswith("Am Mo., 5. Feb. 2024 um 10:00 Uhr schrieb OKR Bot < bot@okr")


def test_outlook_header_block_without_delimiter_line() -> None:
    body = (
        "Done, shipped on Friday.\n"
        "\n"
        "From: OKR Bot <bot@okr.example>\n"
        "Sent: Monday, February 5, 2024 10:00 AM\n"
        "To: Alice <alice@example.com>\n"
        "Subject: Weekly check-in\n"
        "\n"
        "How is KR1 going?\n"
    )
    assert trim_reply(body) == "Done, shipped on Friday."


def test_localised_outlook_header_block() -> None:
    body = (
        "Erledigt.\n"
        "\n"
        "Von: OKR Bot <bot@okr.example>\n"
        "Gesendet: Montag, 5. Februar 2024 10:00\n"
        "An: Alice\n"
        "Betreff: Wöchentlicher Check-in\n"
        "\n"
        "Wie läuft KR1?\n"
    )
    assert trim_reply(body) == "Erledigt."


def test_lone_header_like_lines_in_an_answer_are_kept() -> None:
    # Only a block of three header lines with a sender ("From:", "Von:", …) is history.
    body = "Q: confidence?\nA: high\nQ: blockers?\nA: none\nDate: next Friday"
    assert trim_reply(body) == body


@pytest.mark.parametrize(
    "attribution",
    [
        "okrmail wrote:",
        "On Tuesday, okrmail wrote:",
        "Am Dienstag schrieb okrmail:",
        "Le mardi, okrmail a écrit :",
    ],
)
def test_a_dateless_attribution_right_above_a_quote_is_cut_with_it(attribution: str) -> None:
    body = f"4. KR1 7, KR2 6\n\n{attribution}\n> 4. How confident are you …\n> Thanks\n"
    assert trim_reply(body) == "4. KR1 7, KR2 6"


def test_a_line_saying_who_wrote_what_stays_when_no_quote_follows_it() -> None:
    body = "Bob wrote:\nthe numbers are in the sheet.\n\nOn track, Bob wrote: we need more"
    assert trim_reply(body) == body


def test_sent_from_my_iphone_footer() -> None:
    assert trim_reply("KR3 is at 40%.\n\nSent from my iPhone\n") == "KR3 is at 40%."


def test_dash_dash_space_signature() -> None:
    body = "On track for all three.\n-- \nAlice Example\nHead of Growth\n"
    reply, elided = split_reply(body)
    assert reply == "On track for all three."
    assert elided == "-- \nAlice Example\nHead of Growth"


def test_inline_answers_between_quotes_are_kept() -> None:
    # Following the corpus (quote_and_text, embedded_email_7, embedded_email_17): when the
    # sender answers between quoted lines, their answers are kept together with the quoted
    # lines above them (the question each answer replies to); only the attribution line and
    # the quoted history after the last answer are dropped.
    body = (
        "On Mon, Feb 5, 2024 at 10:00 AM OKR Bot <bot@okr.example> wrote:\n"
        "\n"
        "> How confident are you in KR1?\n"
        "\n"
        "80%, on track.\n"
        "\n"
        "> Any blockers?\n"
        "\n"
        "Waiting on legal.\n"
        "\n"
        "> Reply to this email to answer.\n"
        "> Unsubscribe: https://okr.example/u\n"
    )
    expected = [
        "> How confident are you in KR1?",
        "",
        "80%, on track.",
        "",
        "> Any blockers?",
        "",
        "Waiting on legal.",
    ]
    assert trim_reply(body) == "\n".join(expected)


def test_everything_quoted_keeps_the_quote_without_its_attribution() -> None:
    body = "On Mon, 5 Feb 2024 at 10:00, OKR Bot <bot@okr.example> wrote:\n> Progress?\n"
    assert trim_reply(body) == "> Progress?"


def test_never_empty_when_the_body_starts_with_own_text() -> None:
    assert trim_reply("Sent from my iPhone") == "Sent from my iPhone"
    assert trim_reply("") == ""
    assert trim_reply(" \n\n") == ""

"""`okrmail mail explain`: an Assessment as lines a person reads top to bottom."""

from __future__ import annotations

from okrmail.inbound import headers
from okrmail.inbound.assess import Assessment
from okrmail.prompting import format_value

WIDTH = 12
SHOWN = 100  # characters of each answer or note


def describe(found: Assessment) -> list[str]:
    message = found.message
    lines = [
        _row("message", headers.own_message_id(message) or "(no Message-ID)"),
        _row("from", found.sender or "(no readable From address)"),
        _row("subject", headers.subject(message) or "(none)"),
        _row("kind", _kind(found)),
        _row("route", _route(found)),
        _row("verdict", found.status + (f": {found.reason}" if found.reason else "")),
    ]
    if found.body.charset_problem:
        lines.append(_row("charset", found.body.charset_problem))
    if found.parsed is not None:
        lines += _parsed(found)
    return lines


def _row(label: str, value: str) -> str:
    return f"{label + ':':<{WIDTH}}{value}"


def _kind(found: Assessment) -> str:
    classification = found.classification
    detail = classification.describe()
    if classification.out_of_office:
        detail += " (out of office)"
    if classification.why and classification.kind != "reply":
        detail += f" [{classification.why}]"
    return detail


def _route(found: Assessment) -> str:
    if found.route is None:
        return "(not routed)"
    prompt = found.route.prompt
    if prompt is None:
        return found.route.problem or "(no prompt)"
    return (
        f"check-in email #{prompt.id} to {prompt.person.email} "
        f"({prompt.role}, meeting {prompt.meeting_start:%Y-%m-%d %H:%M} UTC, {prompt.status}); "
        f"found by {found.route.how}"
    )


def _parsed(found: Assessment) -> list[str]:
    parsed = found.parsed
    assert parsed is not None
    lines = ["answers:"]
    lines += [
        f"  {answer.question_key} [{answer.how}]: {_short(answer.text)}"
        for answer in parsed.answers.values()
    ] or ["  (none)"]
    titles = {number: result.title for number, result in enumerate(found.key_results, start=1)}
    if parsed.progress or parsed.confidence:
        lines.append("key results:")
    for reading in parsed.progress:
        value = format_value(reading.value) if reading.value is not None else "?"
        lines.append(
            f"  KR{reading.kr_number} ({titles.get(reading.kr_number, '?')}): progress {value} "
            f"[{reading.status}] from {_short(reading.span.text)!r}"
        )
    for confidence in parsed.confidence:
        which = f"KR{confidence.kr_number}" if confidence.kr_number else "all key results"
        lines.append(
            f"  {which}: confidence {confidence.score}/10 from {_short(confidence.span.text)!r}"
        )
    for title, notes in (
        ("blockers", parsed.blockers),
        ("help wanted", parsed.help_requests),
        ("wins", parsed.wins),
    ):
        if notes:
            lines.append(f"{title}:")
            lines += [f"  - {_short(note.text)}" for note in notes]
    if parsed.notes.strip():
        lines += ["notes:", f"  {_short(parsed.notes)}"]
    for title, items in (("missing", parsed.missing), ("unclear", parsed.unclear)):
        if items:
            lines.append(f"{title}:")
            lines += [f"  - {item}" for item in items]
    return lines


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SHOWN else flat[: SHOWN - 1] + "…"

"""Simulated people for `make demo`: replies written the way people write them.

Each script says when a person answers each of their prompts (hours after it arrived, or
after the meeting — a late answer) and what they write, in the style of a real mail
client: Gmail top-posting with `>` quotes, Outlook with a From:/Sent: block, answers typed
inline under the quoted questions, one free paragraph; Sofia answers in German. The
replies go through the real ingest path, exactly as if they had arrived by IMAP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Reply:
    delay: timedelta  # after the prompt arrived; or after the meeting when `late`
    style: str  # gmail | outlook | inline | paragraph
    body: str
    late: bool = False


SCRIPTS: dict[str, list[Reply | None]] = {
    "lena.vogel@example.com": [
        Reply(
            timedelta(hours=2),
            "gmail",
            """1. KR1 5 days, KR2 38, KR3 12/45
2. The self-serve signup is behind: waiting on the billing team for the new plans.
3. I'll pair with Inês on the plan API this week.
4. KR1 7, KR2 6, KR3 8
5. No changes

Thanks!
Lena""",
        ),
        Reply(
            timedelta(hours=3),
            "gmail",
            """1. KR1 4 days, KR2 41, KR3 19/45
2. Still waiting on the billing team for the new plans.
3. Escalated to their lead; demo on Thursday.
4. KR1 8, KR2 6, KR3 8
5. Maybe drop KR2 next quarter, NPS moves too slowly to steer by.

Lena""",
        ),
    ],
    "tom.hughes@example.com": [
        Reply(
            timedelta(hours=6),
            "outlook",
            """Sorry this is late, travel week.

1. KR1 14 of 40, KR2 310000
2. Two big deals slipped to January because of budget freezes.
3. Re-qualifying the pipeline with finance this week.
4. KR1 6, KR2 5
5. None

Tom""",
            late=True,
        ),
        None,
    ],
    "dana.wright@example.com": [
        Reply(timedelta(hours=1), "inline", ""),
        Reply(
            timedelta(hours=4),
            "paragraph",
            """Good week overall: we renewed 9 of 18 enterprise accounts \
and CSAT is at 88%. I'm fairly confident, maybe 8/10. Stuck on the security questionnaire for \
two accounts, could you help get legal to look at it?

Dana""",
        ),
    ],
    "ines.costa@example.com": [
        Reply(
            timedelta(hours=5),
            "gmail",
            """1. KR1 35%, KR2 4
2. The first customer invoices went out from the new engine without a single correction!
3. Migrating old discounts is harder than we thought.
4. Yes, still the right ones.
5. An hour with finance to settle the rounding rules would help a lot.

Inês""",
        ),
    ],
    "sofia.hartmann@example.com": [
        Reply(
            timedelta(hours=3),
            "outlook",
            """1. KR1 4/5, KR2 erledigt
2. Der Vertrag mit Alpenblick ist unterschrieben, unser vierter Launch-Partner.
3. Wir warten auf die Übersetzungen der Hilfeseiten.
4. Ja, passt.
5. Nichts, danke.

Zuversicht: hoch

Viele Grüße
Sofia""",
        ),
    ],
    # Priya, Kenji, Luis and the rest never answer: they are chased.
}

INLINE_ANSWERS = {  # Dana answers under each quoted question, Outlook-style (no ">")
    1: "KR1 7/18, KR2 86%",
    2: "The renewal for Acme is behind, their procurement is slow.",
    3: "Booked a call with their CFO.",
    4: "KR1 7, KR2 8",
    5: "No changes.",
}


def reply_message(
    prompt: EmailMessage, person: str, name: str, script: Reply, now: datetime, timezone: str
) -> bytes:
    """The person's reply to `prompt`, written at `now`, in the script's style."""
    message = EmailMessage()
    message["From"] = f"{name} <{person}>"
    message["To"] = str(prompt["Reply-To"])
    message["Subject"] = f"Re: {prompt['Subject']}"
    message["Message-ID"] = make_msgid(domain="mail.example.com")
    message["In-Reply-To"] = str(prompt["Message-ID"])
    message["References"] = str(prompt["Message-ID"])
    message["Date"] = format_datetime(now.astimezone(ZoneInfo(timezone)))
    original = prompt.get_body(("plain",)).get_content()
    sent = prompt["Date"].datetime.astimezone(ZoneInfo(timezone))  # type: ignore[union-attr]
    if script.style == "gmail":
        quoted = "\n".join(f"> {line}" if line else ">" for line in original.splitlines())
        when = f"{sent:%a}, {sent.day} {sent:%b %Y} at {sent:%H:%M}"
        attribution = f"On {when}, okrmail <checkins@example.com> wrote:"
        text = f"{script.body}\n\n{attribution}\n{quoted}\n"
    elif script.style == "outlook":
        header = (
            f"From: okrmail <checkins@example.com>\nSent: {sent:%A, %d %B %Y %H:%M}\n"
            f"To: {name} <{person}>\nSubject: {prompt['Subject']}"
        )
        text = f"{script.body}\n\n________________________________\n{header}\n\n{original}"
    elif script.style == "inline":
        text = _inline(original)
    else:
        text = f"{script.body}\n\nSent from my iPhone\n"
    message.set_content(text)
    return message.as_bytes()


def _inline(original: str) -> str:
    """The prompt's text with an answer typed under each numbered question (after its hint)."""
    out: list[str] = []
    pending: int | None = None
    for line in original.splitlines():
        if pending is not None and not line.strip():
            out.append(INLINE_ANSWERS[pending])
            pending = None
        out.append(line)
        number, dot, _ = line.partition(".")
        if dot and number.isdigit() and int(number) in INLINE_ANSWERS:
            pending = int(number)
    return "\n".join(out) + "\n"

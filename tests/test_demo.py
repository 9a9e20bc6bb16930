"""`make demo` on the embedded defaults: a summary, and one prompt per due meeting."""

import io
import mailbox
from email import message_from_bytes, policy
from pathlib import Path

from sqlalchemy import select

from okrmail import demo
from okrmail.models import Prompt


def test_demo_runs_a_full_cycle_into_a_maildir(tmp_path: Path) -> None:
    out = io.StringIO()
    ctx = demo.run(tmp_path / "demo", out=out)
    summary = out.getvalue()
    assert "booked 10 recurring 1-on-1s" in summary
    assert "America/New_York =" in summary and "Europe/Berlin" in summary
    assert "mutt -f" in summary and ".ics files in" in summary
    # Replies went through the real path and became check-ins ...
    assert summary.count("-> checkin: recorded in check-in") >= 5
    assert "read as     KR1 = 5, KR2 = 38, KR3 = 12, KR1 confidence 7" in summary
    # A free paragraph is kept, and shown; our prompt, copied bare under answers typed
    # into it (Dana's first reply), is not taken for the person's words.
    assert "wrote       Good week overall: we renewed 9 of 18 enterprise accounts" in summary
    assert "also wrote  Sorry this is late, travel week." in summary
    checkins = summary.split("Check-ins recorded:")[1].split("Reminders sent")[0]
    assert "Hi Dana" not in checkins and "A quick weekly look" not in checkins
    # ... and the manager's digest shows one who answered, one late, one chased.
    digest = summary.split("The last digest ana.keller@example.com received")[1]
    assert "Subject: Your three 1-on-1s today: two without a check-in\n" in digest
    assert "Here is what to know before your three 1-on-1s today." in digest
    assert "CHECK-IN (answered" in digest
    assert "LATE: after that meeting" in digest
    assert "Reminded: " in digest
    box = mailbox.Maildir(tmp_path / "demo" / "maildir", create=False)
    messages = [
        message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.iterkeys()
    ]
    messages = [m for m in messages if str(m["Message-ID"]).startswith("<prompt-")]
    with ctx.sessions() as session:
        due = session.scalars(
            select(Prompt).where(Prompt.send_at <= ctx.now(), Prompt.status != "cancelled")
        ).all()
        expected = {(p.meeting_id, p.person.email, p.token, p.message_id) for p in due}
    assert len(messages) == len(expected) > 10
    seen = set()
    for message in messages:
        assert message.get_body(("plain",)) and message.get_body(("html",))
        token = str(message["Reply-To"]).split("+", 1)[1].split("@", 1)[0]
        seen.add((str(message["Message-ID"]), token))
    assert seen == {(message_id, token) for _, _, token, message_id in expected}
    assert len(list((tmp_path / "demo" / "ics").glob("*.ics"))) == 12

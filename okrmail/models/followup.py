"""What follows a prompt: chases (reminders) and the manager's pre-meeting digest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from okrmail.models.base import Base
from okrmail.models.calendar import Meeting
from okrmail.models.mail import Prompt
from okrmail.models.people import Person


class Chase(Base):
    """One reminder for an unanswered prompt (number 1..max), the note to the manager, the
    note telling the person their meeting moved to another day (one per move), or the note
    that it was cancelled.

    kind: reminder | manager_note | meeting_moved | cancel_note. Status: pending, sent,
    skipped (reason says why: the person answered, is away, the meeting moved past it...),
    cancelled (meeting cancelled).
    """

    __tablename__ = "chases"
    __table_args__ = (UniqueConstraint("prompt_id", "kind", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id"))
    kind: Mapped[str] = mapped_column(String(16), default="reminder")
    number: Mapped[int]
    send_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    claim_expires_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(255))

    prompt: Mapped[Prompt] = relationship()


class Digest(Base):
    """The manager's pre-meeting summary for one meeting at one time.

    `meeting_start` is the start it briefs for: a meeting moved later after its digest went
    out gets another row for its new start (the first stays, as sent), and never two for
    one start. In morning mode several digests of one manager share a send_at and go out as
    one email. Status: pending, sent, cancelled (meeting cancelled), skipped (a fresh one
    for a small move found nothing answered since the last one sent, which still serves).
    """

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("meeting_id", "meeting_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    meeting_start: Mapped[datetime]
    manager_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    send_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    claim_expires_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(255))

    meeting: Mapped[Meeting] = relationship()
    manager: Mapped[Person] = relationship()


Index("ix_chases_status_send_at", Chase.status, Chase.send_at)
Index("ix_chases_prompt", Chase.prompt_id)
Index("ix_digests_status_send_at", Digest.status, Digest.send_at)

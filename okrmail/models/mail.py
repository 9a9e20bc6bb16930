"""Prompts (question emails) and the Outbox ledger of every message we send."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from okrmail.models.base import Base
from okrmail.models.calendar import Meeting
from okrmail.models.people import Person


class Prompt(Base):
    """One question email for one person for one meeting.

    Status: pending (waiting for send_at), sent, answered, cancelled (its meeting was
    cancelled). `claim_expires_at` marks a send handed to a worker; past it, the next
    tick may hand it out again.
    """

    __tablename__ = "prompts"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # report | manager
    question_set: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    send_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    claim_expires_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(255))
    # The meeting start the person was last told, by the prompt or an email in its thread
    # since (a reminder, the note that it moved): a move to another day is news to them.
    told_start: Mapped[datetime | None]

    meeting: Mapped[Meeting] = relationship()
    person: Mapped[Person] = relationship()


class OutboxMessage(Base):
    """Every email, recorded (with its stable Message-ID) before it is sent.

    Status: queued, sending (claimed by one worker until claim_expires_at), sent, failed
    (permanent error; last_error says why).
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claim_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


# The tick's hot queries: due prompts and due outbox messages, by status then time.
Index("ix_prompts_status_send_at", Prompt.status, Prompt.send_at)
Index("ix_outbox_status_next_attempt", OutboxMessage.status, OutboxMessage.next_attempt_at)
Index("ix_prompts_meeting", Prompt.meeting_id)

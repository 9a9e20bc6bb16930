"""The Inbox ledger of every message received, and the check-ins built from replies.

An InboxMessage is stored raw before anything reads it. CheckIn is one per prompt; its
answers and readings keep their history: a later answer to the same question becomes the
`current` one and the earlier row gets `superseded_at`, never deleted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from okrmail.models.base import Base
from okrmail.models.mail import Prompt

INBOX_STATUSES = (
    *("received", "checkin", "auto-reply", "bounce", "quarantined", "ignored"),
    "away",  # a person's note that they (or, from a manager, their report) are away
)


class InboxMessage(Base):
    """One received message, raw, with what became of it.

    Deduplicated by Message-ID (by content hash when there is none). IMAP messages carry
    their ledger key (account, folder, uidvalidity, uid). Status: received (stored, not yet
    processed), checkin, auto-reply, bounce, quarantined, ignored, away; `reason` says why in
    words a person can act on.
    """

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("account", "folder", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int]
    source: Mapped[str] = mapped_column(String(16))  # imap | maildir | stdin | smtp
    account: Mapped[str | None] = mapped_column(String(320))
    folder: Mapped[str | None] = mapped_column(String(255))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="received")
    reason: Mapped[str | None] = mapped_column(Text)
    # As read from the headers, for people looking at the quarantine.
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    # The reply text the parser read; answer and reading spans are offsets into it.
    body_text: Mapped[str | None] = mapped_column(Text)
    prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    processed_at: Mapped[datetime | None]
    # A quarantined message, when the admin's report listed it (cleared on release).
    reported_at: Mapped[datetime | None]

    prompt: Mapped[Prompt | None] = relationship()


class CheckIn(Base):
    """The structured result of every reply to one prompt.

    `revision` grows with each merged reply; `confirmation_due` is set with it and cleared
    when the confirmation for that revision is recorded in the Outbox.
    """

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    # The first reply came after the meeting had started.
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(default=0)
    confirmation_due: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    confirmed_revision: Mapped[int] = mapped_column(default=0)
    last_inbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbox.id"))
    # What the latest reply said that could not be read ("KR7 does not exist").
    unclear: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    prompt: Mapped[Prompt] = relationship()
    answers: Mapped[list[CheckInAnswer]] = relationship(
        back_populates="checkin", order_by="CheckInAnswer.id"
    )
    readings: Mapped[list[CheckInReading]] = relationship(
        back_populates="checkin", order_by="CheckInReading.id"
    )


class CheckInAnswer(Base):
    """One answer to one question, from one reply; history kept (see `current`)."""

    __tablename__ = "checkin_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id"))
    question_key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    # Where in the reply's body_text the answer was read, and how it was recognised.
    span_start: Mapped[int]
    span_end: Mapped[int]
    how: Mapped[str] = mapped_column(String(32), default="")
    inbox_message_id: Mapped[int] = mapped_column(ForeignKey("inbox.id"), index=True)
    # When the person wrote it (the reply's Date, never later than its arrival).
    answered_at: Mapped[datetime]
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    superseded_at: Mapped[datetime | None]

    checkin: Mapped[CheckIn] = relationship(back_populates="answers")


class CheckInReading(Base):
    """A structured fact read from a reply, with the span of text it came from.

    kind: progress (value and/or percent, status), confidence (score 1-10; kr_number None
    means "all key results"), blocker, help, win, note (text only).
    """

    __tablename__ = "checkin_readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id"))
    kind: Mapped[str] = mapped_column(String(16))
    kr_number: Mapped[int | None]
    key_result_id: Mapped[int | None] = mapped_column(ForeignKey("key_results.id"), index=True)
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    percent: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    status: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text, default="")
    span_start: Mapped[int]
    span_end: Mapped[int]
    inbox_message_id: Mapped[int] = mapped_column(ForeignKey("inbox.id"), index=True)
    answered_at: Mapped[datetime]
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    superseded_at: Mapped[datetime | None]

    checkin: Mapped[CheckIn] = relationship(back_populates="readings")


# Lists for people (quarantine, bounces) and the merge's "current answer" look-ups.
Index("ix_inbox_status_received", InboxMessage.status, InboxMessage.received_at)
Index(
    "ix_checkin_answers_checkin_question",
    CheckInAnswer.checkin_id,
    CheckInAnswer.question_key,
)
Index("ix_checkin_readings_checkin_kind", CheckInReading.checkin_id, CheckInReading.kind)

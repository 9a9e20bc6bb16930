"""Series (a booked recurring 1-on-1), Meetings (its occurrences) and local calendar events."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from okrmail.models.base import Base
from okrmail.models.people import Pairing


class Series(Base):
    """The recurring 1-on-1 of one pairing on one calendar.

    `uid` is chosen by us before the provider is called, so a retried create finds the event
    it already made instead of making a second one. Status: booking (uid chosen, provider not
    yet confirmed), active, cancelled.
    """

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    calendar_id: Mapped[str] = mapped_column(String(320))
    uid: Mapped[str] = mapped_column(String(255), unique=True)
    remote_id: Mapped[str | None] = mapped_column(String(1024))
    rrule: Mapped[str] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64))
    local_start: Mapped[time] = mapped_column(Time)
    first_start: Mapped[datetime]
    duration_minutes: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="booking")
    # Why it was cancelled, when that can be undone: "declined" (the report declined the
    # series on the calendar, and accepting it again brings it back).
    cancelled_by: Mapped[str | None] = mapped_column(String(16))
    # The series this one carries on, when the calendar split it ("this and following
    # events"): the two are one pairing's 1-on-1, not a rebooking of it.
    split_from_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"))
    # Meetings (and their prompts) exist up to this instant; the tick extends it.
    expanded_until: Mapped[datetime | None] = mapped_column(index=True)
    sync_token: Mapped[str | None] = mapped_column(Text)

    pairing: Mapped[Pairing] = relationship()
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="series", order_by="Meeting.original_start"
    )


class Meeting(Base):
    """One occurrence. `original_start` is its slot in the RRULE (the recurrence id);
    `start` is where it actually is. Status: scheduled, moved, cancelled."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("series_id", "original_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"))
    original_start: Mapped[datetime]
    start: Mapped[datetime] = mapped_column(index=True)
    end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    # Why it was cancelled, when that can be undone: "declined" (the report declined this
    # occurrence) or "series-declined" (the whole series); accepting again brings it back.
    cancelled_by: Mapped[str | None] = mapped_column(String(16))
    # A local change not yet written to the provider (retried by the tick).
    push_pending: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    series: Mapped[Series] = relationship(back_populates="meetings")


class LocalCalendarEvent(Base):
    """The embedded `local` provider's store: one row per series master or override.

    A master has recurrence_id NULL and an RRULE; an override (moved or cancelled
    occurrence) carries the master's uid and the occurrence's original start.
    `change_seq` grows with every write, and doubles as the provider's sync token.
    """

    __tablename__ = "local_calendar_events"
    __table_args__ = (UniqueConstraint("uid", "recurrence_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[str] = mapped_column(String(320), index=True)
    uid: Mapped[str] = mapped_column(String(255))
    recurrence_id: Mapped[datetime | None]
    summary: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[datetime]
    duration_minutes: Mapped[int]
    timezone: Mapped[str] = mapped_column(String(64))
    rrule: Mapped[str | None] = mapped_column(Text)
    attendees: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    sequence: Mapped[int] = mapped_column(default=0)
    change_seq: Mapped[int] = mapped_column(index=True)


Index("ix_meetings_series_start", Meeting.series_id, Meeting.start)

"""People, who manages whom, and their OKRs."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from okrmail.models.base import Base


class Person(Base):
    """One employee. Deactivated, never deleted, when they leave the imported org chart."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    work_start: Mapped[time] = mapped_column(Time)
    work_end: Mapped[time] = mapped_column(Time)
    # ISO weekday numbers (1 = Monday) on which the person works.
    work_days: Mapped[list[int]] = mapped_column(JSON)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Chasing pauses until this instant (out-of-office reply or an admin's pause)...
    away_until: Mapped[datetime | None]
    # ... from this one, when the absence was said before it began ("I'm away next week",
    # in a check-in); None: from now.
    away_from: Mapped[datetime | None]
    # A second absence, said ahead and apart from that one, after it ("off Friday, and on
    # holiday from the 14th to the 18th"): from and until, both set or both None.
    later_away_from: Mapped[datetime | None]
    later_away_until: Mapped[datetime | None]
    # Other addresses the person sends from (lower-case), for matching reply senders.
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)

    manager: Mapped[Person | None] = relationship(remote_side=[id])
    objectives: Mapped[list[Objective]] = relationship(back_populates="person")

    def absences(self, now: datetime) -> list[tuple[datetime | None, datetime]]:
        """The absences marked that are not over at `now`, soonest first: when each starts
        (None: it has begun) and the instant the person is back."""
        marked = [(self.away_from, self.away_until), (self.later_away_from, self.later_away_until)]
        return [
            (starts if starts is not None and starts > now else None, back)
            for starts, back in marked
            if back is not None and back > now
        ]

    def away_at(self, now: datetime) -> bool:
        """Whether the person is away at `now`: marked away until later, and it has begun."""
        return self.back_from_absence(now) is not None

    def back_from_absence(self, now: datetime) -> datetime | None:
        """When the absence the person is in at `now` ends; None when they are in none."""
        return next((back for starts, back in self.absences(now) if starts is None), None)

    def __repr__(self) -> str:
        return f"<Person {self.email}>"


class Pairing(Base):
    """A manager/report relation with a cadence and a question set."""

    __tablename__ = "pairings"
    __table_args__ = (UniqueConstraint("manager_id", "report_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    report_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    cadence: Mapped[str] = mapped_column(String(16))
    question_set: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    manager: Mapped[Person] = relationship(foreign_keys=[manager_id])
    report: Mapped[Person] = relationship(foreign_keys=[report_id])


class Objective(Base):
    __tablename__ = "objectives"
    __table_args__ = (UniqueConstraint("person_id", "cycle", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    cycle: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    person: Mapped[Person] = relationship(back_populates="objectives")
    key_results: Mapped[list[KeyResult]] = relationship(
        back_populates="objective", order_by="KeyResult.position"
    )


class KeyResult(Base):
    """A measurable result: progress runs from start_value to target_value in unit."""

    __tablename__ = "key_results"
    __table_args__ = (UniqueConstraint("objective_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objectives.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
    start_value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    target_value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    unit: Mapped[str] = mapped_column(String(32), default="")
    current_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    # Last stated confidence of reaching the target, 1-10.
    confidence: Mapped[int | None]
    updated_at: Mapped[datetime | None]
    # The start of the meeting whose check-in set the values (None: set otherwise, or
    # before this was kept): a reply about an earlier meeting leaves them as they are.
    updated_for: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    objective: Mapped[Objective] = relationship(back_populates="key_results")

    @property
    def progress_percent(self) -> int | None:
        """Share of the way from start to target, 0-100 (None before any update)."""
        return share_of_the_way(self.start_value, self.current_value, self.target_value)


def share_of_the_way(start: Decimal, current: Decimal | None, target: Decimal) -> int | None:
    """Percent of the way from `start` to `target` that `current` stands at, 0-100 (None
    before any update)."""
    if current is None:
        return None
    span = target - start
    if span == 0:
        return 100
    share = (current - start) / span * 100
    return int(max(0, min(100, round(share))))


Index("ix_people_active_manager", Person.active, Person.manager_id)

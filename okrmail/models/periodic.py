"""Leases for work the tick starts on a schedule rather than per row (e.g. calendar sync)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from okrmail.models.base import Base


class PeriodicTask(Base):
    """One named task: due at `next_run_at`, held by one worker until `claim_expires_at`."""

    __tablename__ = "periodic_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    next_run_at: Mapped[datetime]
    claim_expires_at: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

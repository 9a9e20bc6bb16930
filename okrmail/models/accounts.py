"""Calendar accounts (how we reach a provider) and per-calendar sync state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from okrmail.models.base import Base


class CalendarAccount(Base):
    """One way in to a calendar provider, e.g. a Google service account or one user's grant.

    kind: service_account (acts as any user of `domains` by domain-wide delegation; no
    domains means any) or oauth (acts as `email` only). `secret` is the Fernet-encrypted JSON
    of the key or refresh token — never stored or logged in clear. Status: pending (an OAuth
    sign-in was started), ok, broken (the grant was revoked: no call is made until the
    account is reconnected, which bumps `revision` so cached credentials are dropped).
    """

    __tablename__ = "calendar_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    provider: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(320))
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    revision: Mapped[int] = mapped_column(default=1)
    # An OAuth sign-in in progress: the random state echoed back to the redirect URI.
    oauth_state: Mapped[str | None] = mapped_column(String(128), unique=True)
    broken_reason: Mapped[str | None] = mapped_column(Text)
    broken_at: Mapped[datetime | None]
    admin_notified_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<CalendarAccount {self.name} {self.kind} {self.status}>"


class CalendarSyncState(Base):
    """Where the sync of one calendar stands: its sync token and its push channel.

    `sync_requested_at` is the dirty flag a push notification sets; the tick syncs flagged
    calendars (and polls the others). The channel columns describe the live events.watch
    channel, if any; `channel_token` is our random secret Google echoes on every
    notification, so a forged notification is ignored.
    """

    __tablename__ = "calendar_sync_states"
    __table_args__ = (UniqueConstraint("provider", "calendar_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    calendar_id: Mapped[str] = mapped_column(String(320))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("calendar_accounts.id"))
    sync_token: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None]
    sync_requested_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    channel_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    channel_token: Mapped[str | None] = mapped_column(String(128))
    resource_id: Mapped[str | None] = mapped_column(String(255))
    channel_expires_at: Mapped[datetime | None]

    account: Mapped[CalendarAccount | None] = relationship()


Index("ix_calendar_sync_states_requested", CalendarSyncState.sync_requested_at)

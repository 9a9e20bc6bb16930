"""calendar accounts and calendar sync state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:00:00

Hand-written: calendar accounts (encrypted credentials, broken/notified state) and the
per-calendar sync token and push channel.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("oauth_state", sa.String(length=128), nullable=True),
        sa.Column("broken_reason", sa.Text(), nullable=True),
        sa.Column("broken_at", sa.DateTime(), nullable=True),
        sa.Column("admin_notified_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_calendar_accounts_name")),
        sa.UniqueConstraint("oauth_state", name=op.f("uq_calendar_accounts_oauth_state")),
    )
    op.create_table(
        "calendar_sync_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("calendar_id", sa.String(length=320), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("sync_token", sa.Text(), nullable=True),
        sa.Column("synced_at", sa.DateTime(), nullable=True),
        sa.Column("sync_requested_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("channel_token", sa.String(length=128), nullable=True),
        sa.Column("resource_id", sa.String(length=255), nullable=True),
        sa.Column("channel_expires_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["calendar_accounts.id"],
            name=op.f("fk_calendar_sync_states_account_id_calendar_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_sync_states")),
        sa.UniqueConstraint(
            "provider", "calendar_id", name=op.f("uq_calendar_sync_states_provider_calendar_id")
        ),
        sa.UniqueConstraint("channel_id", name=op.f("uq_calendar_sync_states_channel_id")),
    )
    op.create_index(
        "ix_calendar_sync_states_requested",
        "calendar_sync_states",
        ["sync_requested_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_calendar_sync_states_requested", table_name="calendar_sync_states")
    op.drop_table("calendar_sync_states")
    op.drop_table("calendar_accounts")

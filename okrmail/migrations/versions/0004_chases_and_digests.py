"""chases and digests

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("send_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("claim_expires_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["prompt_id"], ["prompts.id"], name=op.f("fk_chases_prompt_id_prompts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chases")),
        sa.UniqueConstraint(
            "prompt_id", "kind", "number", name=op.f("uq_chases_prompt_id_kind_number")
        ),
    )
    op.create_index("ix_chases_status_send_at", "chases", ["status", "send_at"])
    op.create_index("ix_chases_prompt", "chases", ["prompt_id"])
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("send_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claim_expires_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_digests_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["people.id"], name=op.f("fk_digests_manager_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digests")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_digests_meeting_id")),
    )
    op.create_index("ix_digests_status_send_at", "digests", ["status", "send_at"])
    op.create_index(op.f("ix_digests_manager_id"), "digests", ["manager_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_digests_manager_id"), table_name="digests")
    op.drop_index("ix_digests_status_send_at", table_name="digests")
    op.drop_table("digests")
    op.drop_index("ix_chases_prompt", table_name="chases")
    op.drop_index("ix_chases_status_send_at", table_name="chases")
    op.drop_table("chases")

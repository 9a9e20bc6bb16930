"""inbound: the Inbox ledger, check-ins (answers and readings, with history)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

Written by hand (datetimes are plain sa.DateTime: the models store naive UTC).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("account", sa.String(length=320), nullable=True),
        sa.Column("folder", sa.String(length=255), nullable=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uid", sa.String(length=255), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("sender", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=True),
        sa.Column("prompt_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("processed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["prompt_id"], ["prompts.id"], name=op.f("fk_inbox_prompt_id_prompts")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_inbox_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_inbox_message_id")),
        sa.UniqueConstraint(
            "account", "folder", "uidvalidity", "uid",
            name=op.f("uq_inbox_account_folder_uidvalidity_uid"),
        ),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_prompt_id"), ["prompt_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_inbox_status_received", ["status", "received_at"], unique=False)

    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("confirmation_due", sa.Boolean(), nullable=False),
        sa.Column("confirmed_revision", sa.Integer(), nullable=False),
        sa.Column("last_inbox_message_id", sa.Integer(), nullable=True),
        sa.Column("unclear", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["prompt_id"], ["prompts.id"], name=op.f("fk_checkins_prompt_id_prompts")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_checkins_person_id_people")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_checkins_meeting_id_meetings")),
        sa.ForeignKeyConstraint(
            ["last_inbox_message_id"], ["inbox.id"],
            name=op.f("fk_checkins_last_inbox_message_id_inbox"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint("prompt_id", name=op.f("uq_checkins_prompt_id")),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkins_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkins_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_checkins_confirmation_due"), ["confirmation_due"], unique=False
        )

    op.create_table(
        "checkin_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("how", sa.String(length=32), nullable=False),
        sa.Column("inbox_message_id", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["checkin_id"], ["checkins.id"], name=op.f("fk_checkin_answers_checkin_id_checkins")
        ),
        sa.ForeignKeyConstraint(
            ["inbox_message_id"], ["inbox.id"],
            name=op.f("fk_checkin_answers_inbox_message_id_inbox"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_answers")),
    )
    with op.batch_alter_table("checkin_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkin_answers_inbox_message_id"), ["inbox_message_id"], unique=False
        )
        batch_op.create_index(
            "ix_checkin_answers_checkin_question", ["checkin_id", "question_key"], unique=False
        )

    op.create_table(
        "checkin_readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("kr_number", sa.Integer(), nullable=True),
        sa.Column("key_result_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("percent", sa.Numeric(precision=9, scale=4), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("span_start", sa.Integer(), nullable=False),
        sa.Column("span_end", sa.Integer(), nullable=False),
        sa.Column("inbox_message_id", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["checkin_id"], ["checkins.id"], name=op.f("fk_checkin_readings_checkin_id_checkins")
        ),
        sa.ForeignKeyConstraint(
            ["key_result_id"], ["key_results.id"],
            name=op.f("fk_checkin_readings_key_result_id_key_results"),
        ),
        sa.ForeignKeyConstraint(
            ["inbox_message_id"], ["inbox.id"],
            name=op.f("fk_checkin_readings_inbox_message_id_inbox"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_readings")),
    )
    with op.batch_alter_table("checkin_readings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkin_readings_key_result_id"), ["key_result_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_checkin_readings_inbox_message_id"), ["inbox_message_id"], unique=False
        )
        batch_op.create_index(
            "ix_checkin_readings_checkin_kind", ["checkin_id", "kind"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("checkin_readings", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_readings_checkin_kind")
        batch_op.drop_index(batch_op.f("ix_checkin_readings_inbox_message_id"))
        batch_op.drop_index(batch_op.f("ix_checkin_readings_key_result_id"))
    op.drop_table("checkin_readings")
    with op.batch_alter_table("checkin_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_answers_checkin_question")
        batch_op.drop_index(batch_op.f("ix_checkin_answers_inbox_message_id"))
    op.drop_table("checkin_answers")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkins_confirmation_due"))
        batch_op.drop_index(batch_op.f("ix_checkins_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_checkins_person_id"))
    op.drop_table("checkins")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_status_received")
        batch_op.drop_index(batch_op.f("ix_inbox_person_id"))
        batch_op.drop_index(batch_op.f("ix_inbox_prompt_id"))
        batch_op.drop_index(batch_op.f("ix_inbox_sha256"))
    op.drop_table("inbox")

"""prompts: the meeting start the person was last told, so a move to another day is told

Revision ID: 0012_prompt_told_start
Revises: 0011_digest_meeting_start
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_prompt_told_start"
down_revision: str | None = "0011_digest_meeting_start"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("prompts") as batch:
        batch.add_column(sa.Column("told_start", sa.DateTime(), nullable=True))
    # What a prompt already sent said is not known any more; the meeting's start is the best
    # guess (and the truth unless it moved since).
    op.execute(
        "UPDATE prompts SET told_start = "
        "(SELECT meetings.start FROM meetings WHERE meetings.id = prompts.meeting_id) "
        "WHERE status IN ('sent', 'answered')"
    )


def downgrade() -> None:
    with op.batch_alter_table("prompts") as batch:
        batch.drop_column("told_start")

"""digests: one per meeting and start, so a meeting moved after its digest gets another

Revision ID: 0011_digest_meeting_start
Revises: 0010_away_from
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_digest_meeting_start"
down_revision: str | None = "0010_away_from"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("digests") as batch:
        batch.add_column(sa.Column("meeting_start", sa.DateTime(), nullable=True))
    # The start each digest was for is not known any more; the meeting's is the best guess
    # (and the truth for every digest not yet sent).
    op.execute(
        "UPDATE digests SET meeting_start = "
        "(SELECT meetings.start FROM meetings WHERE meetings.id = digests.meeting_id)"
    )
    with op.batch_alter_table("digests") as batch:
        batch.alter_column("meeting_start", existing_type=sa.DateTime(), nullable=False)
        batch.drop_constraint("uq_digests_meeting_id", type_="unique")
        batch.create_unique_constraint(
            "uq_digests_meeting_id_meeting_start", ["meeting_id", "meeting_start"]
        )


def downgrade() -> None:
    # Keeps each meeting's first digest: the unique constraint allows no more.
    op.execute(
        "DELETE FROM digests WHERE id NOT IN (SELECT MIN(id) FROM digests GROUP BY meeting_id)"
    )
    with op.batch_alter_table("digests") as batch:
        batch.drop_constraint("uq_digests_meeting_id_meeting_start", type_="unique")
        batch.create_unique_constraint("uq_digests_meeting_id", ["meeting_id"])
        batch.drop_column("meeting_start")

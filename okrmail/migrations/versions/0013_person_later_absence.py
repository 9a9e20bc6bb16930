"""people: a second absence, said ahead and apart from the first (later_away_from/until)

Revision ID: 0013_later_absence
Revises: 0012_prompt_told_start
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_later_absence"
down_revision: str | None = "0012_prompt_told_start"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("later_away_from", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("later_away_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("later_away_until")
        batch.drop_column("later_away_from")

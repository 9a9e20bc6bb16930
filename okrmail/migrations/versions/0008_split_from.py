"""series: the series one was split off, when the calendar split it

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.add_column(sa.Column("split_from_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_series_split_from", "series", ["split_from_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("series") as batch:
        batch.drop_constraint("fk_series_split_from", type_="foreignkey")
        batch.drop_column("split_from_id")

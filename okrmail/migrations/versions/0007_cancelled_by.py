"""series, meetings: why they were cancelled, so that accepting a decline undoes it

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("series", "meetings"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("cancelled_by", sa.String(16), nullable=True))


def downgrade() -> None:
    for table in ("series", "meetings"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("cancelled_by")

"""Whether a batch's read slot showed its earlier run, for the old program's layout.

A PLC running the old program echoes no batch number: the agent tells an MO released again
into the slot of its previous run from that run by ``earlier_run_shown``, recorded just
before the set's first write (NULL until then).

Revision ID: 0004_earlier_run_shown
Revises: 0003_batch_number_suspect
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_earlier_run_shown"
down_revision = "0003_batch_number_suspect"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("mo_batch", sa.Column("earlier_run_shown", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mo_batch") as batch:
        batch.drop_column("earlier_run_shown")

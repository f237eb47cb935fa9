"""Rolling batch number, raw words and suspect values, the time a running slot last changed.

``batch_number`` (1..65535) is the number the PLC knows a batch by, matched with the slot and
the MO reference; batches stored by 0.1.0 keep NULL (the PLC shows them with number 0).
``raw_words`` and ``suspect`` keep what an ended batch reported and what of it looked wrong;
``plc_changed_at`` lets health see a running batch that makes no progress.

Revision ID: 0003_batch_number_suspect
Revises: 0002_failures_weighings
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_batch_number_suspect"
down_revision = "0002_failures_weighings"
branch_labels = None
depends_on = None

# Both tables keep these: a batch carries them into the history.
_BATCH_COLUMNS = (
    ("batch_number", sa.Integer()),
    ("raw_words", sa.JSON(none_as_null=True)),
    ("suspect", sa.JSON(none_as_null=True)),
)


def upgrade() -> None:
    for table in ("mo_batch", "mo_histories"):
        for name, column_type in _BATCH_COLUMNS:
            op.add_column(table, sa.Column(name, column_type, nullable=True))
    op.add_column("mo_batch", sa.Column("plc_changed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mo_batch") as batch:
        batch.drop_column("plc_changed_at")
        for name, _type in reversed(_BATCH_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("mo_histories") as batch:
        for name, _type in reversed(_BATCH_COLUMNS):
            batch.drop_column(name)

"""Equipment failures and manual weighings read from the PLC, and what Odoo answered.

Both tables keep a report from the moment it is stored (before the PLC is acknowledged)
until retention prunes it long after Odoo's answer. ``mo_histories`` gets an index on
``archived_at`` for the same pruning.

Revision ID: 0002_failures_weighings
Revises: 0001_queue_0_1_0
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_failures_weighings"
down_revision = "0001_queue_0_1_0"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def _delivery_columns() -> list[sa.Column]:
    """The PLC handshake and the delivery to Odoo, the same for both reports."""
    return [
        sa.Column("raw_words", sa.JSON(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("read_at", UTC, nullable=False),
        sa.Column("plc_acknowledged_at", UTC, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("push_attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UTC, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("odoo_result", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("answered_at", UTC, nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "plc_failure",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("line_code", sa.String(64), nullable=False),
        sa.Column("equipment", sa.String(32), nullable=False),
        sa.Column("info", sa.String(32), nullable=False),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.Column("failure_key", sa.String(160), nullable=False),
        *_delivery_columns(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("failure_key"),
    )
    op.create_index("ix_plc_failure_state", "plc_failure", ["state"])
    op.create_index("ix_plc_failure_answered_at", "plc_failure", ["answered_at"])
    op.create_table(
        "plc_weighing",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("line_code", sa.String(64), nullable=False),
        sa.Column("weighing_key", sa.String(128), nullable=True),
        sa.Column("batch_number", sa.Integer(), nullable=True),
        sa.Column("mo_name", sa.String(32), nullable=False),
        sa.Column("product_template_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=True),
        *_delivery_columns(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("weighing_key"),
    )
    op.create_index("ix_plc_weighing_state", "plc_weighing", ["state"])
    op.create_index("ix_plc_weighing_answered_at", "plc_weighing", ["answered_at"])
    op.create_index("ix_mo_histories_archived_at", "mo_histories", ["archived_at"])


def downgrade() -> None:
    op.drop_index("ix_mo_histories_archived_at", table_name="mo_histories")
    op.drop_table("plc_weighing")
    op.drop_table("plc_failure")

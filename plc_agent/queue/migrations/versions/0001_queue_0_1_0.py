"""The queue of release 0.1.0, exactly as its ``create_all`` made it.

A database of 0.1.0 has these tables and no ``alembic_version``: the agent stamps it with
this revision instead of running it (see :func:`plc_agent.schema.upgrade`).

Revision ID: 0001_queue_0_1_0
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_queue_0_1_0"
down_revision = None
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def _batch_columns() -> list[sa.Column]:
    """The columns ``mo_batch`` and ``mo_histories`` share (0.1.0's ``BatchFields``)."""
    return [
        sa.Column("mo_id", sa.String(64), nullable=False),
        sa.Column("consumption", sa.Float(), nullable=False),
        sa.Column("equipment_id_batch", sa.String(64), nullable=False),
        sa.Column("finished_goods", sa.String(128), nullable=False),
        sa.Column("status_manufacturing", sa.Boolean(), nullable=False),
        sa.Column("status_operation", sa.Boolean(), nullable=False),
        sa.Column("last_read_from_plc", UTC, nullable=True),
        sa.Column("actual_weight_finished_goods", sa.Float(), nullable=True),
        sa.Column("odoo_mo_id", sa.Integer(), nullable=False),
        sa.Column("run", sa.Integer(), nullable=False),
        sa.Column("bom_code", sa.String(64), nullable=False),
        sa.Column("product_code", sa.String(64), nullable=False),
        sa.Column("uom", sa.String(32), nullable=False),
        sa.Column("plc_written_at", UTC, nullable=True),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("finished_at", UTC, nullable=True),
        sa.Column("push_attempts", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "mo_batch",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_no", sa.Integer(), nullable=False),
        *_batch_columns(),
        sa.Column("batch_key", sa.String(128), nullable=False),
        sa.Column("date_planned_start", sa.String(32), nullable=True),
        sa.Column("redelivered", sa.Boolean(), nullable=False),
        sa.Column("plc_excluded", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("hold_reason", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("batch_no"),
        sa.UniqueConstraint("batch_key"),
    )
    op.create_index("ix_mo_batch_mo_id", "mo_batch", ["mo_id"])
    op.create_index("ix_mo_batch_state", "mo_batch", ["state"])
    op.create_table(
        "mo_histories",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_no", sa.Integer(), nullable=True),
        sa.Column("batch_key", sa.String(128), nullable=False),
        *_batch_columns(),
        sa.Column("created_at", UTC, nullable=True),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("report_payload", sa.JSON(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("odoo_result", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("archived_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mo_histories_batch_key", "mo_histories", ["batch_key"])
    op.create_index("ix_mo_histories_mo_id", "mo_histories", ["mo_id"])
    op.create_index("ix_mo_histories_outcome", "mo_histories", ["outcome"])
    op.create_table(
        "plc_agent_instance",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "mo_batch_component",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("silo_code", sa.String(32), nullable=False),
        sa.Column("silo_id", sa.Integer(), nullable=True),
        sa.Column("product_code", sa.String(64), nullable=False),
        sa.Column("product_name", sa.String(128), nullable=False),
        sa.Column("uom", sa.String(32), nullable=False),
        sa.Column("planned_quantity", sa.Float(), nullable=False),
        sa.Column("actual_quantity", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["mo_batch.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mo_batch_component_batch_id", "mo_batch_component", ["batch_id"])


def downgrade() -> None:
    for table in ("mo_batch_component", "plc_agent_instance", "mo_histories", "mo_batch"):
        op.drop_table(table)

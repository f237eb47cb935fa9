"""Alembic environment of the queue: always run on a connection the agent hands over.

:func:`plc_agent.queue.schema.upgrade` opens the transaction (on PostgreSQL under a migration
lock, on SQLite with ``BEGIN IMMEDIATE``) and passes the connection in
``config.attributes["connection"]``; all pending revisions then run in that one
transaction, so a failed upgrade leaves the schema as it was.
"""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("the queue's migrations run through plc_agent.queue.schema.upgrade "
                       "('plc-agent init-db'), on a live connection")

context.configure(
    connection=connection,
    # SQLite changes a column only by copying its table; Alembic's batch mode does that.
    render_as_batch=connection.dialect.name == "sqlite",
    on_version_apply=config.attributes.get("on_version_apply"),
)
with context.begin_transaction():
    context.run_migrations()

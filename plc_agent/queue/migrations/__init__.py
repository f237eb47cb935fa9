"""Alembic migrations of the queue database; run them with :mod:`plc_agent.queue.schema`."""

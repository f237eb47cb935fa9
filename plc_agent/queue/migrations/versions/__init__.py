"""One module per revision of the queue schema, oldest first (Alembic skips this file)."""

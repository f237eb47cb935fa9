"""The queue's schema version: Alembic revisions in ``plc_agent/queue/migrations``.

:func:`upgrade` brings any queue database to the latest revision in one transaction:

* a new, empty database runs every revision;
* a database of release 0.1.0 (its tables, no ``alembic_version``) is first stamped with
  ``0001_queue_0_1_0``, the revision that describes exactly what 0.1.0 created;
* a database at some revision runs the ones after it.

Two agents (or ``init-db`` beside a starting ``run``) never migrate at once: on PostgreSQL
the transaction takes an advisory lock, on SQLite it begins with ``BEGIN IMMEDIATE``.

Alembic (with Mako and their plugins, about a sixth of the agent's memory budget) is
imported only when a database is behind. Whether it is takes one query: the revision in
``alembic_version`` against the newest revision file (the one no other file names as its
``down_revision``), read from the files' own ``revision`` lines without running them. When
those lines cannot be read plainly, Alembic decides.
"""

from __future__ import annotations

import logging
import re
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

# The report areas' tables join Base.metadata when their modules are imported.
from .failure import PlcFailure  # noqa: F401
from .models import Base
from .weighing import ManualWeighing  # noqa: F401

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

BASELINE_REVISION = "0001_queue_0_1_0"
# Tables that tell a 0.1.0 queue from an empty database.
RELEASE_0_1_0_TABLES = frozenset({"mo_batch", "mo_batch_component", "mo_histories"})
MIGRATION_LOCK_KEY = 0x504C_4333  # "PLC3", beside the fill and instance locks
VERSION_TABLE = "alembic_version"
# ``revision = "0002_x"`` / ``down_revision = None`` as Alembic writes them into a revision file.
_REVISION_LINE = re.compile(r"""^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(?:None|"([^"\n]*)"|'([^'\n]*)')\s*$""",
                            re.MULTILINE)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location",
                           str(resources.files(__package__).joinpath("migrations")))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def init_db(engine: Engine) -> list[str]:
    """Create the queue or bring it to the latest schema (Alembic); the revisions applied."""
    return upgrade(engine)


def missing_tables(engine: Engine) -> list[str]:
    """The queue's tables (batches, failures, weighings) the database does not have yet."""
    existing = set(inspect(engine).get_table_names())
    return sorted(t for t in Base.metadata.tables if t not in existing)


def newest_revision() -> str | None:
    """The newest revision file's id, read without Alembic; None when the files do not say it
    plainly (a revision line in another form, several heads)."""
    parents: dict[str, str | None] = {}
    versions = resources.files(__package__).joinpath("migrations", "versions")
    for entry in versions.iterdir():
        if not entry.name.endswith(".py") or entry.name == "__init__.py":
            continue
        found = {m.group(1): m.group(2) or m.group(3) for m in _REVISION_LINE.finditer(entry.read_text("utf-8"))}
        if not found.get("revision") or "down_revision" not in found:
            return None
        parents[found["revision"]] = found["down_revision"]
    heads = set(parents) - set(parents.values())
    return heads.pop() if len(heads) == 1 else None


def head_revision() -> str:
    """The latest revision, as Alembic would apply it."""
    newest = newest_revision()
    if newest is not None:
        return newest
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "plc_agent/queue/migrations has no revision"
    return head


def stored_revision(connection: Connection) -> str | None:
    """The one revision ``alembic_version`` holds; None without the table, or with other than one row."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def current_revision(connection: Connection) -> str | None:
    """The database's revision as Alembic reads it."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def up_to_date(engine: Engine) -> str | None:
    """The newest revision when the database holds it (one query, no Alembic); else None."""
    newest = newest_revision()
    if newest is None:
        return None
    with engine.execution_options(sqlite_deferred=True).connect() as connection:
        return newest if stored_revision(connection) == newest else None


def _is_release_0_1_0(connection: Connection) -> bool:
    tables = set(inspect(connection).get_table_names())
    return VERSION_TABLE not in tables and RELEASE_0_1_0_TABLES <= tables


def pending_revisions(engine: Engine) -> list[str]:
    """Revisions the database lacks, oldest first (the baseline counts as present on 0.1.0)."""
    if up_to_date(engine):
        return []
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as connection:
        current = current_revision(connection)
        if current is None and _is_release_0_1_0(connection):
            current = BASELINE_REVISION
    revisions = [s.revision for s in script.iterate_revisions("head", current)]
    return list(reversed(revisions))


def upgrade(engine: Engine) -> list[str]:
    """Bring the queue to the latest revision; returns the revisions applied, oldest first."""
    newest = up_to_date(engine)
    if newest:
        logger.info("queue schema: up to date at %s", newest)
        return []
    from alembic import command

    applied: list[str] = []

    def log_step(*, step: Any, **_kwargs: Any) -> None:
        if step.is_upgrade:
            applied.append(step.up_revision_id)
            doc = (step.up_revision.doc or "").splitlines()[0] if step.up_revision else ""
            logger.info("queue schema: applied %s (%s)", step.up_revision_id, doc)

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": MIGRATION_LOCK_KEY})
        config = alembic_config(connection)
        if _is_release_0_1_0(connection):
            command.stamp(config, BASELINE_REVISION)
            logger.info("queue schema: a release 0.1.0 queue, stamped %s", BASELINE_REVISION)
        config.attributes["on_version_apply"] = log_step
        command.upgrade(config, "head")
    if not applied:
        logger.info("queue schema: up to date at %s", head_revision())
    return applied

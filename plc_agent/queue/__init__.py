"""The queue: the agent's own database, between Odoo and the PLC.

* :mod:`.models` -- the tables: batches (``mo_batch``, ``mo_batch_component``,
  ``mo_histories``), the shared columns of the report areas' rows, the instance record;
* :mod:`.failure` and :mod:`.weighing` -- the failure and manual-weighing areas' rows;
* :mod:`.engine` -- engines and sessions for SQLite and PostgreSQL;
* :mod:`.fill_gate` -- the queue is filled only when empty, by one agent at a time;
* :mod:`.instance_lock` -- one ``plc-agent run`` per queue database;
* :mod:`.figures` -- batches by state and report rows by answer (``status``, health, metrics);
* :mod:`.schema` -- the schema's version: Alembic revisions in ``migrations/``, applied in
  place.

Nothing is imported here, so that a command loads only the parts it uses.
"""

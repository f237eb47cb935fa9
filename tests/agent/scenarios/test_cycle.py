"""The full cycle against the real simulator (Modbus TCP) and the stand-in Odoo (odoorpc):
sync -> PLC write -> PLC run -> read -> push -> history, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from ..helpers import batches, history, run_line_until_finished, wait_until


def test_full_cycle(tasks, engine, odoo_standin, plc_simulator):
    mo_ids = [odoo_standin.add_mo() for _ in range(3)]

    result = tasks.sync()
    assert result.inserted == 3 and result.write and result.write.confirmed
    rows = batches(engine)
    assert [r.slot for r in rows] == [1, 2, 3]
    assert all(r.state == "written" and r.plc_written_at for r in rows)
    assert [r.mo_name for r in rows] == [odoo_standin.mo(i)["name"] for i in mo_ids]
    assert rows[0].batch_key == f"FM1-{mo_ids[0]}-1"
    assert len(rows[0].components) == 5

    run_line_until_finished(tasks, engine)
    rows = batches(engine)
    assert all(r.state == "finished" and r.status_manufacturing for r in rows), [(r.state, r.hold_reason) for r in rows]
    for r in rows:
        assert r.finished_weight == pytest.approx(1000.0, rel=0.03)
        for c in r.components:
            assert c.actual_quantity == pytest.approx(c.planned_quantity, rel=0.03)
    # acknowledged: the PLC got status_read_data = 1 in every used read slot
    rmap = tasks.register_map
    assert [plc_simulator.registers(rmap.read_ack_address(s), 1)[0] for s in (1, 2, 3)] == [1, 1, 1]

    push = tasks.push()
    assert push.archived == 3 and push.remaining == 0 and push.emptied_queue
    assert batches(engine) == []
    hist = history(engine)
    assert [h.outcome for h in hist] == ["done"] * 3
    for h, mo_id in zip(hist, mo_ids, strict=True):
        mo = odoo_standin.mo(mo_id)
        assert mo["plc_state"] == "done" and mo["times_closed"] == 1
        reported = {c["silo"]: c["actual_quantity"] for c in h.components}
        assert mo["actuals"] == pytest.approx({k: round(v, 3) for k, v in reported.items()})
        assert h.odoo_result["status"] == "done"
    assert plc_simulator.line.received_sets == [
        [(slot, slot, odoo_standin.mo(i)["name"]) for slot, i in enumerate(mo_ids, start=1)]
    ]
    assert plc_simulator.line.protocol_violations == []

    # The next set: the PLC is ready again once every batch was acknowledged.
    wait_until(lambda: plc_simulator.line.state == "ready", what="PLC ready")
    more = [odoo_standin.add_mo() for _ in range(2)]
    result = tasks.sync()
    assert result.inserted == 2 and result.write.confirmed
    run_line_until_finished(tasks, engine)
    assert tasks.push().archived == 2
    assert {odoo_standin.mo(i)["plc_state"] for i in more} == {"done"}
    assert len(plc_simulator.line.completed_batches) == 5
    # Slots 3.. of the second set were written as zeros: the PLC took 2 batches, not 3.
    assert [len(s) for s in plc_simulator.line.received_sets] == [3, 2]

"""A suspect value never stalls the line: the batch is stored with its raw words,
acknowledged to the PLC and reported to Odoo marked suspect; the next batch goes on."""

from __future__ import annotations

import pytest

from ..helpers import agent, batches, history, run_line_until_finished, wait_until


def test_real_weight_with_low_word_ffff_is_reported_suspect_and_the_line_goes_on(
        tasks, engine, odoo_standin, plc_simulator, agent_settings, tmp_path):
    rmap = tasks.register_map
    weight = rmap.read_fields["finished_weight"]
    assert weight.type.encode(2621.43, "w") == [0x0003, 0xFFFF]  # a real weight, sentinel-like
    first = odoo_standin.add_mo(quantity=2600.0)
    second = odoo_standin.add_mo()
    plc_simulator.faults.report_weight(1, 2621.43)
    tasks.sync()

    run_line_until_finished(tasks, engine)
    rows = batches(engine)
    assert [r.state for r in rows] == ["finished", "finished"]
    suspect = rows[0]
    assert suspect.finished_weight == pytest.approx(2621.43)
    assert suspect.raw_words[weight.offset:weight.end] == [0x0003, 0xFFFF]
    assert [(s["silo"], s["raw_words"]) for s in suspect.suspect] == [(None, [0x0003, 0xFFFF])]
    assert "0xFFFF" in suspect.suspect[0]["reason"]
    assert rows[1].suspect is None
    # both acknowledged: the PLC goes on to its next set
    assert plc_simulator.registers(rmap.read_ack_address(1), 1) == [1]
    wait_until(lambda: plc_simulator.line.state == "ready", what="the PLC to be ready for the next set")

    # plc-agent status shows it, with the raw words
    p = agent(agent_settings, "status", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "1 with suspect values" in p.stdout
    assert "SUSPECT raw [3, 65535]: finished weight: 0xFFFF sentinel word" in p.stdout

    assert tasks.push().archived == 2
    mo = odoo_standin.mo(first)
    assert mo["plc_state"] == "recorded" and mo["plc_suspect"] and mo["times_closed"] == 0
    assert "[3, 65535]" in mo["plc_reason"]
    assert mo["finished_quantity"] == pytest.approx(2621.43)
    assert odoo_standin.mo(second)["plc_state"] == "done"
    assert [h.outcome for h in history(engine)] == ["recorded", "done"]

    # the next set is taken and runs
    third = odoo_standin.add_mo()
    tasks.sync()
    run_line_until_finished(tasks, engine)
    assert tasks.push().archived == 1
    assert odoo_standin.mo(third)["plc_state"] == "done"

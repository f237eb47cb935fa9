"""The gateway's report_failure / report_manual_weighing against the stand-in Odoo, and the
simulate-plc command's scripted reports reaching it through plc-agent."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from dataclasses import replace

import pytest

from plc_agent.queue.models import DeliveryState
from plc_agent.queue.failure import PlcFailure
from plc_agent.odoo_gateway import OdooGateway, OdooProtocolError
from plc_agent.queue.weighing import ManualWeighing

from .helpers import wait_until
from .test_failures_weighings import rows
from .test_faults import agent

FAILURE = {"line": "FM1", "failure_key": "FM1/silo101/START_FAILURE/20261128T060102Z",
           "equipment": "silo101", "info": "START_FAILURE", "occurred_at": "2026-11-28T06:01:02+00:00"}
WEIGHING = {"line": "FM1", "weighing_key": "FM1-W-20261128T060102Z-17", "mo_name": "WH/MO/00001",
            "batch_number": 17, "product_template_id": 55, "quantity": 12.5,
            "weighed_at": "2026-11-28T06:01:02+00:00"}


def gateway(standin) -> OdooGateway:
    return OdooGateway(standin.url, standin.database, standin.username, standin.password, timeout=5)


def test_report_failure_answers_and_duplicates(odoo_standin):
    gw = gateway(odoo_standin)
    first = gw.report_failure(FAILURE)
    assert (first.status, first.duplicate, first.reason) == ("stored", False, None)
    again = gw.report_failure(FAILURE)
    assert (again.status, again.duplicate) == ("stored", True)
    assert len(odoo_standin.failures) == 1
    wrong_key = gw.report_failure({**FAILURE, "failure_key": "FM1/x"})
    assert wrong_key.status == "rejected" and "failure_key: expected" in wrong_key.reason


def test_report_manual_weighing_consumed_kept_rejected(odoo_standin):
    odoo_standin.add_product(55)
    odoo_standin.add_mo()
    gw = gateway(odoo_standin)
    assert gw.report_manual_weighing(WEIGHING).status == "consumed"
    kept = gw.report_manual_weighing({**WEIGHING, "weighing_key": "k2", "mo_name": "WH/MO/09999"})
    assert (kept.status, kept.reason) == ("kept", "mo_name: no MO 'WH/MO/09999'")
    rejected = gw.report_manual_weighing({**WEIGHING, "weighing_key": "k3", "quantity": "lots"})
    assert rejected.status == "rejected" and "quantity" in rejected.reason


def test_an_answer_of_the_wrong_shape_is_a_protocol_error(odoo_standin, monkeypatch):
    gw = gateway(odoo_standin)
    monkeypatch.setattr(odoo_standin, "_store_failure", lambda payload: {"status": "filed"})
    with pytest.raises(OdooProtocolError, match="result.status: expected stored / rejected"):
        gw.report_failure({**FAILURE, "failure_key": "FM1/silo101/START_FAILURE/20261128T060103Z",
                           "occurred_at": "2026-11-28T06:01:03+00:00"})


def test_simulate_plc_scripted_reports_reach_odoo(agent_settings, engine, odoo_standin, tmp_path):
    odoo_standin.add_product(55)
    odoo_standin.add_mo()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "plc_agent", "simulate-plc", "--port", str(port), "--seed", "1",
         "--failure", "silo101:START_FAILURE@0",
         "--weighing", "55:12.5:WH/MO/00001@0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    settings = replace(agent_settings, plc_port=port)
    try:
        def sent(task: str, model) -> bool:
            agent(settings, "once", task, cwd=tmp_path)
            return any(r.state is DeliveryState.ANSWERED for r in rows(engine, model))

        wait_until(lambda: sent("failures", PlcFailure), timeout=30, interval=0.5, what="the failure")
        wait_until(lambda: sent("weighing", ManualWeighing), timeout=30, interval=0.5, what="the weighing")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert [f["equipment"] for f in odoo_standin.failures] == ["silo101"]
    assert [c["quantity"] for c in odoo_standin.manual_consumption(1)] == [12.5]

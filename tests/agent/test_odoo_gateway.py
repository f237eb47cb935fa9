"""The Odoo gateway (``plc_agent.odoo_gateway``) over odoorpc against the stand-in Odoo: round
trips, errors, no secrets, and the failure and manual-weighing reports' answers."""

from __future__ import annotations

import logging

import pytest

from plc_agent.batch import FetchedComponent
from plc_agent.odoo_gateway import OdooError, OdooGateway, OdooProtocolError, OdooUnavailable


def gateway(standin, password: str | None = None, username: str | None = None) -> OdooGateway:
    return OdooGateway(standin.url, standin.database, username or standin.username,
                       password or standin.password, timeout=5)


def test_login_once_then_one_round_trip_per_call(odoo_standin):
    odoo_standin.add_mo()
    gw = gateway(odoo_standin)
    batches = gw.fetch_batches("FM1", 10)
    assert len(batches) == 1
    assert gw.rpc_count == 2  # common.login + execute_kw; no version_info, no context_get
    assert odoo_standin.calls() == 2
    assert odoo_standin.calls("version_info") == 0
    gw.ping("FM1")
    gw.fetch_batches("FM1", 10)
    assert gw.rpc_count == 4 and odoo_standin.calls() == 4
    b = batches[0]
    assert b.mo_name == "WH/MO/00001" and b.batch_key == "FM1-1-1" and b.run == 1
    assert b.components[0] == FetchedComponent(silo="101", product_code="RM-MAIZE", product_name="Maize",
                                               quantity=550.0, uom="kg")


def test_api_key_works(odoo_standin):
    odoo_standin.add_api_key("0123456789abcdef-api-key")
    gw = gateway(odoo_standin, password="0123456789abcdef-api-key")
    assert gw.ping("FM1").line_exists is True


def test_ping_carries_the_lines_capacity_and_refuses_a_bad_one(odoo_standin):
    gw = gateway(odoo_standin)
    ping = gw.ping("FM1")
    assert (ping.components_per_batch, ping.text_width) == (15, 16)
    assert gw.ping("NOPE").components_per_batch is None  # an unknown line has no capacity
    odoo_standin.set_line_capacity("FM1", components_per_batch=0, text_width=16)
    with pytest.raises(OdooProtocolError, match="result.components_per_batch"):
        gw.ping("FM1")


def test_wrong_password_is_an_error_without_the_password(odoo_standin):
    gw = gateway(odoo_standin, password="wrong-password-xyz")
    with pytest.raises(OdooError) as info:
        gw.fetch_batches("FM1", 10)
    assert "plc-agent" in str(info.value)
    assert "wrong-password-xyz" not in str(info.value)


def test_access_error_and_user_error_are_odoo_errors(odoo_standin):
    odoo_standin.add_user("clerk", "clerk-pw", plc_agent=False)
    with pytest.raises(OdooError) as info:
        gateway(odoo_standin, username="clerk", password="clerk-pw").ping("FM1")
    assert info.value.name == "odoo.exceptions.AccessError"
    assert not isinstance(info.value, OdooUnavailable)
    with pytest.raises(OdooError) as info:
        gateway(odoo_standin).fetch_batches("NOPE", 10)
    assert info.value.name == "odoo.exceptions.UserError" and "NOPE" in str(info.value)


@pytest.mark.parametrize("kind", ["network", "http_500", "server_error", "serialization"])
def test_transient_faults_are_unavailable(odoo_standin, kind):
    gw = gateway(odoo_standin)
    gw.ping("FM1")
    odoo_standin.fail_next("plc_fetch_batches", kind)
    with pytest.raises(OdooUnavailable):
        gw.fetch_batches("FM1", 10)
    assert gw.fetch_batches("FM1", 10) == []


def test_server_down_and_timeout_are_unavailable(odoo_standin):
    gw = OdooGateway(odoo_standin.url, odoo_standin.database, odoo_standin.username,
                     odoo_standin.password, timeout=0.5)
    gw.ping("FM1")
    odoo_standin.fail_next("plc_ping", "slow", delay=2.0)
    with pytest.raises(OdooUnavailable, match="no answer|timed out"):
        gw.ping("FM1")
    odoo_standin.go_down()
    with pytest.raises(OdooUnavailable):
        gw.ping("FM1")
    odoo_standin.come_up()
    assert gw.ping("FM1").line_active is True


@pytest.mark.parametrize(
    "answer, field",
    [
        ([], "result: expected an object"),
        ({"api_version": 2, "batches": []}, "result.api_version"),
        ({"api_version": 1}, "result.batches: missing"),
        ({"api_version": 1, "batches": [{"mo_id": "7"}]}, "batches[0].mo_id"),
        ({"api_version": 1, "batches": [{
            "mo_id": 1, "mo_name": "WH/MO/1", "run": 1, "batch_key": "FM1-1-1", "redelivered": False,
            "product_code": "P", "product_name": "P", "quantity": 1.0, "uom": "kg", "bom_code": "B",
            "line": "FM1", "components": [{"silo": "101", "quantity": "abc"}]}]},
         "batches[0].components[0].quantity"),
        ({"api_version": 1, "batches": [{
            "mo_id": 1, "mo_name": "WH/MO/1", "run": 1, "batch_key": "FM1-1-1", "redelivered": False,
            "quantity": 1.0, "line": "FM2", "components": []}]}, "batches[0].line"),
    ],
)
def test_fetch_answer_shape_is_checked(answer, field):
    with pytest.raises(OdooProtocolError) as info:
        OdooGateway._check_batches(answer, "FM1", 10)
    assert field in str(info.value)


def test_password_never_in_logs_even_at_debug(odoo_standin, caplog):
    caplog.set_level(logging.DEBUG)
    gw = gateway(odoo_standin)
    odoo_standin.add_mo()
    gw.fetch_batches("FM1", 10)
    gw.ping("FM1")
    bad = gateway(odoo_standin, password="other-secret-123")
    with pytest.raises(OdooError):
        bad.ping("FM1")
    assert any("jsonrpc" in r.name for r in caplog.records), "odoorpc's debug log was not captured"
    assert odoo_standin.password not in caplog.text
    assert "other-secret-123" not in caplog.text
    for record in caplog.records:
        assert odoo_standin.password not in record.getMessage()


def test_report_batch_result_is_checked(odoo_standin):
    mo_id = odoo_standin.add_mo()
    gw = gateway(odoo_standin)
    batch = gw.fetch_batches("FM1", 10)[0]
    payload = {"mo_id": mo_id, "line": "FM1", "batch_key": batch.batch_key,
               "consumption": [{"silo": "101", "quantity": 551.0}], "finished_quantity": 999.0,
               "status": "done", "started_at": None, "finished_at": None, "message": None}
    first = gw.report_batch(payload)
    assert first.status == "done" and first.duplicate is False
    again = gw.report_batch(payload)
    assert again.status == "done" and again.duplicate is True
    changed = dict(payload, finished_quantity=1.0)
    assert gw.report_batch(changed).status == "rejected"


FAILURE = {"line": "FM1", "failure_key": "FM1/silo101/START_FAILURE/20261128T060102Z",
           "equipment": "silo101", "info": "START_FAILURE", "occurred_at": "2026-11-28T06:01:02+00:00"}


WEIGHING = {"line": "FM1", "weighing_key": "FM1-W-20261128T060102Z-17", "mo_name": "WH/MO/00001",
            "batch_number": 17, "product_template_id": 55, "quantity": 12.5,
            "weighed_at": "2026-11-28T06:01:02+00:00"}


def test_report_failure_answers_and_duplicates(odoo_standin):
    gw = gateway(odoo_standin)
    first = gw.report_failure(FAILURE)
    assert (first.status, first.duplicate, first.reason) == ("stored", False, None)
    again = gw.report_failure(FAILURE)
    assert (again.status, again.duplicate) == ("stored", True)
    assert len(odoo_standin.failures) == 1
    wrong_key = gw.report_failure({**FAILURE, "failure_key": "k" * 201})
    assert wrong_key.status == "rejected" and wrong_key.reason.startswith("failure_key:")


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

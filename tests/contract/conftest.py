"""The RPC contract of docs/api.md, run against both of its implementations.

Every case takes ``site`` and runs twice: on the stand-in Odoo of the agent's tests
(``standin``) and on a real Odoo 14 with ``mrp_plc_bridge`` and its demo data (``odoo14``:
one server and database for the whole session, skipped loudly without Odoo 14, like the
other Odoo tests). A case gets fresh data of its own through ``line`` (a new line, its
silos and an agent user bound to it alone) and ``site.new_mo``, and talks to the site as
the agent does: JSON-RPC over HTTP.

Where the real addon does not answer as docs/api.md says yet, the case carries
``@pytest.mark.addon_xfail(reason)``: on ``odoo14`` it is a strict xfail, so it fails the
day the addon answers right and the marker must go.
"""

from __future__ import annotations

import shutil
import urllib.error
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.contract_sites import ContractLine, ContractMo, ContractSite, Odoo14Site, RpcRefused, StandinSite
from support.odoo14 import Odoo14, served_odoo_with_addon
from support.odoo_standin import OdooStandin

BATCH_KEYS = {
    "mo_id", "mo_name", "run", "batch_key", "redelivered", "product_code", "product_name",
    "quantity", "uom", "bom_code", "line", "date_planned_start", "components",
}
COMPONENT_KEYS = {"silo", "product_code", "product_name", "quantity", "uom"}
RESULT_KEYS = {"status", "mo_state", "reason", "duplicate", "api_version"}
FAILURE_RESULT_KEYS = {"status", "duplicate", "reason", "failure_id", "api_version"}
WEIGHING_RESULT_KEYS = {"status", "duplicate", "reason", "api_version"}
PING_KEYS = {"api_version", "server_time", "line", "line_exists", "line_active", "components_per_batch",
             "text_width", "ready_mo_count"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "addon_xfail(reason): the real addon does not answer as docs/api.md says yet; "
        "a strict xfail on odoo14 only")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or callspec.params.get("site") != "odoo14":
            continue
        for mark in item.iter_markers("addon_xfail"):
            item.add_marker(pytest.mark.xfail(strict=True, reason=mark.kwargs.get("reason") or mark.args[0]))


@pytest.fixture(scope="session")
def standin_contract_site() -> Iterator[StandinSite]:
    standin = OdooStandin()
    standin.start()
    try:
        yield StandinSite(standin)
    finally:
        standin.stop()


@pytest.fixture(scope="session")
def odoo14_contract_site(odoo14: Odoo14, tmp_path_factory: pytest.TempPathFactory,
                         artifacts_dir: Path) -> Iterator[Odoo14Site]:
    log_dir = artifacts_dir / "contract"
    log_dir.mkdir(exist_ok=True)
    data_dir = tmp_path_factory.mktemp("odoo-contract-data")
    try:
        with served_odoo_with_addon(odoo14, "plc_contract", data_dir=data_dir, log_dir=log_dir) as server:
            yield Odoo14Site(server.url, server.database)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(params=["standin", pytest.param("odoo14", marks=pytest.mark.odoo)])
def site(request: pytest.FixtureRequest) -> ContractSite:
    return request.getfixturevalue(f"{request.param}_contract_site")


@pytest.fixture
def line(site: ContractSite) -> ContractLine:
    return site.new_line()


@pytest.fixture
def other_line(site: ContractSite) -> ContractLine:
    return site.new_line()


# ---------------------------------------------------------------------------- helpers


def refused(call: Callable[..., Any], *args: Any, **kwargs: Any) -> RpcRefused:
    """The error answer of a call that must not succeed."""
    with pytest.raises(RpcRefused) as caught:
        call(*args, **kwargs)
    return caught.value


def fetch(line: ContractLine, limit: int = 10) -> dict[str, Any]:
    return line.agent.call("plc_fetch_batches", line.code, limit=limit)


def report(line: ContractLine, payload: Any) -> dict[str, Any]:
    return line.agent.call("plc_report_batch", payload)


def sent_mo(site: ContractSite, line: ContractLine, **kwargs: Any) -> tuple[ContractMo, dict[str, Any]]:
    """A new MO of the line, fetched: the MO and its batch."""
    mo = site.new_mo(line, **kwargs)
    batches = [b for b in fetch(line, limit=100)["batches"] if b["mo_id"] == mo.id]
    assert len(batches) == 1, f"{mo} was not sent"
    return mo, batches[0]


def done_payload(line: ContractLine, batch: dict[str, Any], /, **changes: Any) -> dict[str, Any]:
    """What the agent reports for a batch dosed 1 % over plan, as planned in weight."""
    payload = {
        "mo_id": batch["mo_id"],
        "line": line.code,
        "batch_key": batch["batch_key"],
        "consumption": [{"silo": c["silo"], "quantity": round(c["quantity"] * 1.01, 2)} for c in batch["components"]],
        "finished_quantity": batch["quantity"],
        "status": "done",
        "started_at": "2026-11-28T06:00:01+00:00",
        "finished_at": "2026-11-28T06:04:12+00:00",
        "message": None,
    }
    payload.update(changes)
    return payload


def failure_payload(line: ContractLine, /, **changes: Any) -> dict[str, Any]:
    payload = {"line": line.code, "failure_key": f"{line.code}/silo101/START_FAILURE/20261128T060102Z",
               "equipment": "silo101", "info": "START_FAILURE", "occurred_at": "2026-11-28T06:01:02+00:00"}
    payload.update(changes)
    return payload


def weighing_payload(site: ContractSite, line: ContractLine, mo: ContractMo | None, /,
                     **changes: Any) -> dict[str, Any]:
    payload = {"line": line.code, "weighing_key": f"{line.code}-W-20261128T060102Z-17",
               "mo_name": mo.name if mo else "", "batch_number": 17,
               "product_template_id": site.weighing_template_id(), "quantity": 12.5,
               "weighed_at": "2026-11-28T06:01:02+00:00"}
    payload.update(changes)
    return payload


def rejections(answer_of: Callable[[Any], dict[str, Any]], base: Callable[[], Any],
               table: list[tuple[str, Callable[[Any], Any], str]], keys: set[str]) -> list[str]:
    """Each bad payload of the table, made from a good one: what differs from a ``rejected``
    answer whose reason starts with the field the table names."""
    problems = []
    for name, spoil, field in table:
        payload = base()
        spoilt = spoil(payload)
        answer = answer_of(payload if spoilt is None else spoilt)
        if (set(answer) != keys or answer["status"] != "rejected" or answer["duplicate"] is not False
                or not str(answer["reason"]).startswith(field) or len(str(answer["reason"])) > 500):
            problems.append(f"{name}: expected rejected naming {field!r}, got {answer!r}"[:600])
    return problems


def nesting_answers(agent: Any, method: str, arguments: str) -> list[tuple[int, Any]]:
    """``arguments`` (JSON text with ``%s`` where the nested value goes) with values nested
    ever deeper, up to the depth the server's JSON parser itself gives up (an HTTP error,
    no answer from the method): each depth with its answer or its error."""
    answers: list[tuple[int, Any]] = []
    for depth in range(850, 1200, 3):
        nested = "[" * (depth - 1) + '{"a": "x"}' + "]" * (depth - 1)
        try:
            answers.append((depth, agent.call_with_raw_arguments(method, arguments % nested)))
        except urllib.error.HTTPError:
            break
        except Exception as error:  # noqa: BLE001 - the error answer is what the case looks at
            answers.append((depth, error))
    return answers

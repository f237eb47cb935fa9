"""What a plant's monitoring sees of a run on a real Odoo 14: the agent's metrics endpoint
answers with the run's counts, and the health task's ping reaches Odoo (with the line's
status when the addon takes it, without it from an addon that does not).

Then the line as Odoo shows it after a run: the dashboard's light green while the agent
runs, red with the silence activity once it stops, cleared when it is back; the work
center's time log, productive time and OEE from the PLC's times; each MO's largest deviation
in the MO list. And an agent speaks only for its own line: a second line's agent is refused
on the first, over Odoo's real ``/jsonrpc``.

The tests share one Odoo site and run in this order: each brings MOs of its own."""

from __future__ import annotations

import ast
import json
import re
import socket
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.odoo14 import ADDONS_DIR

from .conftest import LINE, OdooSite, wait_until
from .test_chain import BATCH_TIMEOUT, agent_db, assert_each_mo_once

pytestmark = pytest.mark.odoo


def addon_version() -> tuple[int, ...]:
    manifest = ast.literal_eval((ADDONS_DIR / "mrp_plc_bridge" / "__manifest__.py").read_text(encoding="utf-8"))
    return tuple(int(part) for part in manifest["version"].split("."))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_endpoint_answers_with_the_runs_counts(odoo_site, line_simulator, agent_factory, tmp_path):
    odoo_site.create_mos(3, quantity=600.0)
    client = odoo_site.admin()
    ready = [p["name"] for p in odoo_site.line_productions(client) if p["plc_state"] == "ready"]
    assert len(ready) >= 3
    port = free_port()
    agent = agent_factory(SYNC_BATCH_LIMIT="4", METRICS_PORT=str(port), HEALTH_INTERVAL_SECONDS="2")
    log_offset = agent.log_file.stat().st_size if agent.log_file.exists() else 0
    started = time.time()
    agent.start()
    wait_until(
        lambda: all(p["state"] == "done" for p in odoo_site.line_productions(client, ready)),
        BATCH_TIMEOUT,
        what="every ready MO to close",
    )
    wait_until(lambda: scrape(port).get(("plc_agent_queue_batches", (("state", "finished"),))) == 0,
               30, what="the agent's queue to drain")
    status_file = tmp_path / "status.json"

    def drained_and_pinged() -> bool:
        if not status_file.exists():
            return False
        health = json.loads(status_file.read_text())
        return health["queue"]["total"] == 0 and bool(health["odoo"].get("ok"))

    wait_until(drained_and_pinged, 30, what="a health check of the drained queue that reached Odoo")
    samples = scrape(port)
    assert agent.stop() == 0
    assert_each_mo_once(odoo_site, line_simulator, ready, tmp_path)

    def value(name: str, **labels: str) -> float | None:
        return samples.get((name, tuple(sorted(labels.items()))))

    count = len(ready)
    assert value("plc_agent_batches_fetched_total") == count
    assert value("plc_agent_batches_stored_total") == count
    assert value("plc_agent_batches_reported_total", outcome="done") == count
    for outcome in ("recorded", "failed", "rejected"):
        assert value("plc_agent_batches_reported_total", outcome=outcome) == 0, outcome
    assert value("plc_agent_batches_suspect_total") == 0
    for state in ("queued", "written", "running", "finished", "failed", "held"):
        assert value("plc_agent_queue_batches", state=state) == 0, state
    assert value("plc_agent_odoo_call_seconds_count", method="plc_report_batch") == count
    assert value("plc_agent_odoo_call_seconds_count", method="plc_ping") >= 1
    assert value("plc_agent_plc_request_seconds_count", operation="read") > 0
    now = time.time()
    assert started < value("plc_agent_odoo_last_answer_timestamp_seconds") <= now
    assert started < value("plc_agent_plc_last_good_read_timestamp_seconds") <= now

    # The ping with the line's status: taken by an addon of 14.0.1.2.0 or later; an older one
    # refuses the argument with Odoo's own TypeError and the agent pings without it.
    health = json.loads(status_file.read_text())
    log = agent.log_file.read_text()[log_offset:]
    if addon_version() >= (14, 0, 1, 2, 0):
        assert health["odoo"]["status_sent"] is True, health
        assert "does not take the line's status" not in log
        # What the line in Odoo shows from the agent's last ping: the drained queue after the run.
        line = client.execute("mrp.plc.line", "search_read", [("code", "=", LINE)],
                              ["plc_seen_at", "plc_agent_version", "plc_link", "plc_last_error",
                               "plc_last_good_read_at", "plc_queue_queued", "plc_queue_running",
                               "plc_held", "plc_stuck", "plc_running_mo", "plc_unsent_batches"])[0]
        assert line["plc_agent_version"] == __import__("plc_agent").__version__
        assert line["plc_link"] == "up" and not line["plc_last_error"]
        assert line["plc_last_good_read_at"] and line["plc_seen_at"]
        assert (line["plc_queue_queued"], line["plc_queue_running"], line["plc_held"], line["plc_stuck"],
                line["plc_unsent_batches"]) == (0, 0, 0, 0, 0), line
        assert not line["plc_running_mo"]
        pings = client.execute("mrp.plc.line.ping", "search_count", [("line_id.code", "=", LINE)])
        assert pings >= 1
    else:
        assert health["odoo"]["status_sent"] is False, health
        assert log.count("does not take the line's status") == 1
    assert LINE == health["line"]


# ----------------------------------------------------------------------------------------
# The line in Odoo after a run: dashboard light, silence alert, OEE, deviations
# ----------------------------------------------------------------------------------------

SILENT_ACTIVITY = "mrp_plc_bridge.mail_activity_type_plc_agent_silent"
WATCH_AGENTS_CRON = "mrp_plc_bridge.ir_cron_plc_watch_agents"
LINE_FIELDS = ["plc_light", "plc_light_reason", "plc_seen_at", "plc_running_mo", "plc_oee"]
# The cron's alert threshold counts whole minutes, at least one.
SILENCE_ALERT_MINUTES = 1


def xmlid(client, full_id: str) -> int:
    module, name = full_id.split(".")
    return client.execute("ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)],
                          ["res_id"])[0]["res_id"]


def odoo_datetime(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def odoo_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def plc_time(iso: str) -> datetime:
    """A time the agent reported, as Odoo stores it: naive UTC, whole seconds."""
    return datetime.fromisoformat(iso).astimezone(UTC).replace(tzinfo=None, microsecond=0)


def minutes(start: datetime, end: datetime) -> float:
    """A time log entry's duration as Odoo computes it: minutes, two decimals."""
    return round((end - start).total_seconds() / 60.0, 2)


def hours(durations: list[float]) -> float:
    """Minutes summed, in hours with two decimals, half up: Odoo's productive and blocked time."""
    total = sum(Decimal(str(d)) for d in durations) / 60
    return float(total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def silent_activities(client, line_id: int) -> list[dict]:
    return client.execute(
        "mail.activity",
        "search_read",
        [("res_model", "=", "mrp.plc.line"), ("res_id", "=", line_id),
         ("activity_type_id", "=", xmlid(client, SILENT_ACTIVITY))],
        ["summary", "user_id"],
    )


def watch_agents(client) -> None:
    """Run the scheduled action now, as Odoo's cron runner would (the test server runs none)."""
    client.execute("ir.cron", "method_direct_trigger", [xmlid(client, WATCH_AGENTS_CRON)])


def link_work_center(client, line_id: int) -> int:
    """A work center round the clock, so that an availability loss counts its wall-clock time
    (Odoo counts it in the work center's working hours)."""
    calendar_id = client.execute("resource.calendar", "create", {
        "name": "FM1 round the clock",
        "tz": "UTC",
        "attendance_ids": [(0, 0, {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 0.0, "hour_to": 24.0})
                           for day in range(7)],
    })
    workcenter_id = client.execute("mrp.workcenter", "create",
                                   {"name": "Feed mill line FM1", "resource_calendar_id": calendar_id})
    client.execute("mrp.plc.line", "write", [line_id], {"workcenter_id": workcenter_id})
    return workcenter_id


def test_the_line_in_odoo_after_a_run(odoo_site, line_simulator, agent_factory, tmp_path, artifacts_dir):
    client = odoo_site.admin()
    line_id = client.execute("mrp.plc.line", "search", [("code", "=", LINE)])[0]

    def line() -> dict:
        return client.execute("mrp.plc.line", "read", [line_id], LINE_FIELDS)[0]

    # What the planners look at shows the figures read below.
    assert 'name="plc_light"' in client.execute("mrp.plc.line", "fields_view_get", False, "kanban")["arch"]
    assert 'name="plc_max_deviation_percent"' in client.execute("mrp.production", "fields_view_get", False,
                                                                 "tree")["arch"]
    assert not silent_activities(client, line_id)

    # The agent pings every 2 s: the line says so, and is silent after 3 missed pings.
    client.execute("mrp.plc.line", "write", [line_id],
                   {"plc_health_interval": 2, "plc_silence_alert_minutes": SILENCE_ALERT_MINUTES})
    workcenter_id = link_work_center(client, line_id)
    names = odoo_site.create_mos(3, quantity=500.0)
    assert {p["plc_state"] for p in odoo_site.line_productions(client, names)} == {"ready"}

    # Batches long enough that Odoo's productive time (hours, two decimals) is not zero,
    # and an equipment failure two minutes before the run: blocked until the first batch.
    line_simulator.line.batch_seconds = 9.0
    failed_at = (datetime.now(UTC) - timedelta(minutes=2)).replace(microsecond=0)
    line_simulator.report_failure("silo101", "START_FAILURE", when=failed_at)
    failed_at = failed_at.replace(tzinfo=None)

    agent = agent_factory(SYNC_BATCH_LIMIT="3", HEALTH_INTERVAL_SECONDS="2")
    agent.start()
    # The open failure makes the line amber; once resolved, the running line is green.
    amber = wait_until(lambda: (state := line())["plc_light"] == "amber"
                       and "Open failures" in state["plc_light_reason"] and state,
                       BATCH_TIMEOUT, what="the line amber with the failure open")
    assert amber["plc_seen_at"]
    failures = client.execute("mrp.plc.failure", "search_read", [("line_id", "=", line_id)],
                              ["occurred_at", "state"])
    assert [odoo_datetime(f["occurred_at"]) for f in failures] == [failed_at], failures
    client.execute("mrp.plc.failure", "action_resolve", [failures[0]["id"]])

    samples: list[dict] = []

    def run_done() -> bool:
        samples.append(line())
        return all(p["state"] == "done" for p in odoo_site.line_productions(client, names))

    wait_until(run_done, BATCH_TIMEOUT, what="the run's MOs to close")
    green_running = [s for s in samples if s["plc_light"] == "green" and s["plc_running_mo"] in names]
    assert green_running, samples
    assert green_running[0]["plc_light_reason"] == "Agent and PLC up"
    assert agent.stop() == 0

    # Stopped: the scheduled action waits for the line's threshold before it raises anything.
    watch_agents(client)
    assert not silent_activities(client, line_id)
    red = wait_until(lambda: (state := line())["plc_light"] == "red" and state, 30, what="the line red")
    assert red["plc_light_reason"].startswith("Agent silent for"), red
    seen_at = odoo_datetime(red["plc_seen_at"])

    # While the silence grows: the work center's time log and figures, then the deviations.
    workcenter = check_oee(client, workcenter_id, names, failed_at, tmp_path, line()["plc_oee"])
    deviations = check_largest_deviations(client, names, tmp_path)
    (artifacts_dir / "e2e" / "line-in-odoo.json").write_text(json.dumps(
        {"work_center": workcenter, "largest_deviation_percent": deviations}, indent=2))

    alert_at = seen_at + timedelta(minutes=SILENCE_ALERT_MINUTES, seconds=2)
    time.sleep(max(0.0, (alert_at - datetime.now(UTC).replace(tzinfo=None)).total_seconds()))
    watch_agents(client)
    activities = silent_activities(client, line_id)
    assert len(activities) == 1, activities
    assert activities[0]["summary"] == f"Agent of line {LINE} is silent"
    assert activities[0]["user_id"][0] == xmlid(client, "base.user_admin")  # no responsible: the admin
    watch_agents(client)
    assert len(silent_activities(client, line_id)) == 1, "raised once, not at every run"
    assert line()["plc_light"] == "red"

    # The agent is back: its first ping marks the activity done; the line is green again.
    back = agent_factory(SYNC_BATCH_LIMIT="3", HEALTH_INTERVAL_SECONDS="2")
    back.start()
    wait_until(lambda: not silent_activities(client, line_id), 60, what="the silence activity to be done")
    wait_until(lambda: line()["plc_light"] == "green", 30, what="the line green again")
    assert back.stop() == 0
    feedback = client.execute("mail.message", "search_read",
                              [("model", "=", "mrp.plc.line"), ("res_id", "=", line_id),
                               ("body", "ilike", "pinged again")], ["body"])
    assert len(feedback) == 1, feedback


def check_oee(client, workcenter_id: int, names: list[str], failed_at: datetime, tmp_path,
              line_oee: float) -> dict:
    """The work center's time log holds the PLC's times; its figures are what they give."""
    with agent_db(tmp_path) as db:
        rows = db.execute("SELECT mo_id, report_payload FROM mo_histories WHERE mo_id IN (%s)"
                          % ",".join("?" * len(names)), names).fetchall()
    runs = {}
    for name, payload_json in rows:
        payload = json.loads(payload_json)
        runs[name] = (plc_time(payload["started_at"]), plc_time(payload["finished_at"]))
    assert sorted(runs) == sorted(names)
    productions = client.execute("mrp.production", "search_read", [("name", "in", names)],
                                 ["name", "plc_started_at", "plc_finished_at"])
    for production in productions:
        start, end = runs[production["name"]]
        assert (production["plc_started_at"], production["plc_finished_at"]) == (odoo_text(start), odoo_text(end)), \
            production

    entries = client.execute("mrp.workcenter.productivity", "search_read", [("workcenter_id", "=", workcenter_id)],
                             ["date_start", "date_end", "duration", "loss_type", "description"])
    productive = {}
    for entry in (e for e in entries if e["loss_type"] == "productive"):
        (name,) = [n for n in names if n in entry["description"]]
        productive[name] = entry
    assert sorted(productive) == sorted(names), entries
    for name, (start, end) in runs.items():
        entry = productive[name]
        assert (entry["date_start"], entry["date_end"]) == (odoo_text(start), odoo_text(end)), entry
        assert entry["duration"] == pytest.approx(minutes(start, end), abs=1e-9), entry

    # The failure blocked the line from its time until the first batch started.
    first_start = min(start for start, _end in runs.values())
    (loss,) = [e for e in entries if e["loss_type"] == "availability"]
    assert (loss["date_start"], loss["date_end"]) == (odoo_text(failed_at), odoo_text(first_start)), loss
    assert loss["duration"] == pytest.approx(minutes(failed_at, first_start), abs=0.011), loss
    assert len(entries) == len(names) + 1, entries

    productive_time = hours([minutes(start, end) for start, end in runs.values()])
    blocked_time = hours([minutes(failed_at, first_start)])
    assert productive_time > 0 and blocked_time > 0, (productive_time, blocked_time)
    oee = round(productive_time * 100.0 / (productive_time + blocked_time), 2)
    assert 0 < oee < 100
    workcenter = client.execute("mrp.workcenter", "read", [workcenter_id],
                                ["productive_time", "blocked_time", "oee", "working_state"])[0]
    assert workcenter["productive_time"] == pytest.approx(productive_time, abs=1e-9), workcenter
    assert workcenter["blocked_time"] == pytest.approx(blocked_time, abs=1e-9), workcenter
    assert workcenter["oee"] == pytest.approx(oee, abs=1e-9), workcenter
    assert workcenter["working_state"] == "normal", "the failure's loss is closed"
    assert line_oee == workcenter["oee"]
    return dict(workcenter, productive_minutes=round(sum(e["duration"] for e in productive.values()), 2),
                blocked_minutes=loss["duration"])


def check_largest_deviations(client, names: list[str], tmp_path) -> dict[str, float]:
    """Each MO's largest deviation in the MO list is its consumption's, as the PLC dosed it."""
    with agent_db(tmp_path) as db:
        rows = db.execute("SELECT mo_id, components FROM mo_histories WHERE mo_id IN (%s)"
                          % ",".join("?" * len(names)), names).fetchall()
    dosed = {name: json.loads(components) for name, components in rows}
    listed = client.execute("mrp.production", "search_read", [("name", "in", names)],
                            ["name", "plc_max_deviation_percent", "plc_tolerance_exceeded"])
    assert sorted(p["name"] for p in listed) == sorted(names)
    for production in listed:
        lines = client.execute("mrp.plc.consumption", "search_read",
                               [("production_id", "=", production["id"]), ("reported", "=", True)],
                               ["silo_code", "deviation_percent", "tolerance_exceeded"])
        components = dosed[production["name"]]
        assert sorted(c["silo_code"] for c in lines) == sorted(c["silo"] for c in components), production
        plc_deviation = {c["silo"]: (c["actual_quantity"] - c["planned_quantity"]) / c["planned_quantity"] * 100.0
                         for c in components}
        for consumption in lines:
            assert consumption["deviation_percent"] == pytest.approx(plc_deviation[consumption["silo_code"]],
                                                                     abs=0.02), (production["name"], consumption)
        largest = max((c["deviation_percent"] for c in lines), key=abs)
        assert largest != 0, production
        assert production["plc_max_deviation_percent"] == largest, (production, lines)
        assert production["plc_max_deviation_percent"] == pytest.approx(max(plc_deviation.values(), key=abs),
                                                                         abs=0.02)
        assert production["plc_tolerance_exceeded"] == any(c["tolerance_exceeded"] for c in lines), production
    return {p["name"]: p["plc_max_deviation_percent"] for p in listed}


# ----------------------------------------------------------------------------------------
# An agent speaks only for its lines, over Odoo's real /jsonrpc
# ----------------------------------------------------------------------------------------


class RpcRefused(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class JsonRpcAgent:
    """An agent user calling Odoo's ``/jsonrpc`` with its API key, as the agent does."""

    def __init__(self, site: OdooSite, login: str, key: str):
        self.site = site
        self.key = key
        self.uid = self._call("common", "login", site.database, login, key)
        assert self.uid, f"{login} cannot log in"

    def _call(self, service: str, method: str, *args):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1,
                           "params": {"service": service, "method": method, "args": list(args)}}).encode()
        request = urllib.request.Request(f"{self.site.url}/jsonrpc", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            reply = json.loads(answer.read())
        if "error" in reply:
            data = reply["error"]["data"]
            raise RpcRefused(data["name"], data["message"])
        return reply["result"]

    def __call__(self, method: str, *args):
        return self._call("object", "execute_kw", self.site.database, self.uid, self.key, "mrp.production", method,
                          list(args))


def refusal(call, *args) -> str:
    with pytest.raises(RpcRefused) as refused:
        call(*args)
    assert refused.value.name == "odoo.exceptions.AccessError", refused.value
    return refused.value.message


def test_a_second_lines_agent_is_refused_on_the_first_line(odoo_site):
    client = odoo_site.admin()
    (fm1,) = client.execute("mrp.plc.line", "search_read", [("code", "=", LINE)], ["name", "company_id"])
    (mo_name,) = odoo_site.create_mos(1, quantity=400.0)
    (mo,) = odoo_site.line_productions(client, [mo_name])
    assert mo["plc_state"] == "ready"
    silos = client.execute("mrp.plc.silo", "search_read", [("line_id", "=", fm1["id"])], ["code"])
    assert silos

    # Line FM2 and its agent user, as an administrator makes them: the 'Agent access' wizard.
    fm2_id = client.execute("mrp.plc.line", "create",
                            {"name": "Feed mill line 2", "code": "FM2", "company_id": fm1["company_id"][0]})
    wizard_id = client.execute("mrp.plc.agent.access", "create", {"line_id": fm2_id})
    shown = client.execute("mrp.plc.agent.access", "action_issue_key", [wizard_id])["context"]
    assert shown["default_login"] == "plc-agent-fm2"
    fm2_agent = JsonRpcAgent(odoo_site, shown["default_login"], shown["default_key"])
    fm1_agent = JsonRpcAgent(odoo_site, odoo_site.agent_login, odoo_site.agent_key)
    fm1_before = client.execute("mrp.plc.line", "read", [fm1["id"]], ["plc_seen_at", "plc_link"])[0]

    # FM1's data, none of which a refusal may show to FM2's agent.
    fm1_words = [fm1["name"], mo_name, str(mo["id"]), *(s["code"] for s in silos)]

    def names_nothing_of_fm1(message: str, given: str) -> None:
        for word in fm1_words:
            if word not in given:
                assert not re.search(rf"(?<!\w){re.escape(word)}(?!\w)", message), (word, message)

    fetch_fm1 = refusal(fm2_agent, "plc_fetch_batches", LINE, 10)
    names_nothing_of_fm1(fetch_fm1, LINE)
    # Refused alike for a line that does not exist: the answer does not say FM1 exists.
    assert fetch_fm1.replace(LINE, "<code>") == refusal(fm2_agent, "plc_fetch_batches", "FM9", 10).replace(
        "FM9", "<code>")
    names_nothing_of_fm1(refusal(fm2_agent, "plc_ping", LINE, {"plc": {"up": True}}), LINE)

    report = {"mo_id": mo["id"], "line": LINE, "batch_key": f"{LINE}-{mo['id']}-r1", "status": "done",
              "consumption": [{"silo": silos[0]["code"], "quantity": 1.0}],
              "started_at": "2026-11-28T06:00:00+00:00", "finished_at": "2026-11-28T06:03:00+00:00"}
    names_nothing_of_fm1(refusal(fm2_agent, "plc_report_batch", report), LINE)
    # The MO of FM1 reported as FM2's: answered exactly as an MO that does not exist.
    as_fm2 = dict(report, line="FM2", batch_key=f"FM2-{mo['id']}-r1")
    answer = fm2_agent("plc_report_batch", as_fm2)
    missing = fm2_agent("plc_report_batch", dict(as_fm2, mo_id=2147483000))
    assert answer["status"] == "rejected"
    assert answer == dict(missing, reason=missing["reason"].replace("2147483000", str(mo["id"])))
    names_nothing_of_fm1(answer["reason"], str(mo["id"]))

    # The first line's agent is refused on the second line likewise.
    refusal(fm1_agent, "plc_ping", "FM2")

    # Nothing of FM1 changed: the MO is still ready for its own agent, the line unpinged.
    (after,) = odoo_site.line_productions(client, [mo_name])
    assert (after["state"], after["plc_state"], after["plc_batch_key"]) == (mo["state"], "ready", mo["plc_batch_key"])
    assert client.execute("mrp.plc.line", "read", [fm1["id"]], ["plc_seen_at", "plc_link"])[0] == fm1_before

    # Its own line works for FM2's agent.
    answer = fm2_agent("plc_ping", "FM2", {"agent_version": "0.2.0", "plc": {"up": True}})
    assert (answer["line"], answer["line_exists"]) == ("FM2", True)
    fm2 = client.execute("mrp.plc.line", "read", [fm2_id], ["plc_seen_at", "plc_link", "plc_agent_version"])[0]
    assert fm2["plc_seen_at"] and (fm2["plc_link"], fm2["plc_agent_version"]) == ("up", "0.2.0")
    assert fm2_agent("plc_fetch_batches", "FM2", 10) == {"api_version": 1, "line": "FM2", "batches": []}

    # The administrator is not limited: fetching FM1 claims its ready MO.
    fetched = client.execute("mrp.production", "plc_fetch_batches", LINE, 10)
    assert [b["mo_name"] for b in fetched["batches"]] == [mo_name], fetched
    client.execute("mrp.production", "plc_ping", "FM2")

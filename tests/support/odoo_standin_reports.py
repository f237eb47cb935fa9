"""The stand-in Odoo's side of the report areas: ``plc_report_failure`` and
``plc_report_manual_weighing``, as the session's contract specifies them.

Failures: stored once per ``failure_key`` (which must be made of the payload's line,
equipment, info and UTC time), with the MO the line was running then; bad input is
``rejected`` with the reason. Weighings: ``consumed`` (added to the MO's manual
consumption, open or done), ``kept`` (stored for a person: unknown MO, unknown product,
template with several variants, cancelled MO, implausible quantity) or ``rejected``
(malformed). Both are idempotent by key: the same key with the same payload answers the
first result with ``duplicate`` true; with another payload, ``rejected``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from datetime import datetime, timezone
from typing import Any

API_VERSION = 1
FAILURE_FIELDS = ("line", "failure_key", "equipment", "info", "occurred_at")
WEIGHING_FIELDS = ("line", "weighing_key", "mo_name", "batch_number", "product_template_id",
                   "quantity", "weighed_at")
MAX_PLAUSIBLE_KG = 5000.0


def _digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def _utc(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else None


class AreaReportsStandin:
    """Mixed into OdooStandin, which holds ``_lock``, ``_lines`` and ``_mos``."""

    _lock: Any
    _lines: dict[str, dict[str, Any]]
    _mos: dict[int, dict[str, Any]]

    def _init_area_reports(self) -> None:
        self.failures: list[dict[str, Any]] = []
        self.weighings: list[dict[str, Any]] = []  # consumed and kept
        self.area_answers: list[dict[str, Any]] = []  # every call: method, payload, result, at
        self._area_keys: dict[str, dict[str, Any]] = {}
        self._products: dict[int, int] = {}  # template id -> number of variants

    # -- test controls

    def add_product(self, template_id: int, variants: int = 1) -> None:
        with self._lock:
            self._products[template_id] = variants

    def manual_consumption(self, mo_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._mos[mo_id].get("manual", []))

    def area_calls(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(a) for a in self.area_answers if a["method"] == method]

    # -- the RPC methods

    def _answer(self, method: str, key_name: str, payload: Any, decide: Any) -> dict[str, Any]:
        with self._lock:
            if not isinstance(payload, dict):
                result = self._area_result("rejected", "payload: must be an object")
            else:
                key = payload.get(key_name)
                known = self._area_keys.get(key) if isinstance(key, str) else None
                if known is not None:
                    result = (dict(known["result"], duplicate=True) if known["digest"] == _digest(payload)
                              else self._area_result("rejected", f"{key_name}: {key!r} was already "
                                                     "reported with a different payload"))
                else:
                    result = decide(payload)
                    if result["status"] != "rejected":
                        self._area_keys[key] = {"digest": _digest(payload), "result": copy.deepcopy(result)}
            self.area_answers.append({"method": method, "payload": copy.deepcopy(payload),
                                      "result": copy.deepcopy(result),
                                      "at": datetime.now(timezone.utc).isoformat()})
            return result

    @staticmethod
    def _area_result(status: str, reason: str | None = None, **extra: Any) -> dict[str, Any]:
        return {"status": status, "duplicate": False, "reason": reason, "api_version": API_VERSION,
                **extra}

    def _plc_report_failure(self, payload: Any) -> dict[str, Any]:
        return self._answer("plc_report_failure", "failure_key", payload, self._store_failure)

    def _store_failure(self, payload: dict[str, Any]) -> dict[str, Any]:
        def rejected(reason: str) -> dict[str, Any]:
            return self._area_result("rejected", reason, failure_id=None)

        for name in FAILURE_FIELDS:
            if not isinstance(payload.get(name), str) or not payload[name]:
                return rejected(f"{name}: must be a non-empty string")
        unknown = sorted(set(payload) - set(FAILURE_FIELDS))
        if unknown:
            return rejected(f"{unknown[0]}: unknown field")
        line = self._lines.get(payload["line"])
        if line is None:
            return rejected(f"line: no PLC line {payload['line']!r}")
        occurred = _utc(payload["occurred_at"])
        if occurred is None:
            return rejected("occurred_at: must be an ISO 8601 time with its offset")
        expected = "%s/%s/%s/%s" % (payload["line"], payload["equipment"], payload["info"],
                                    occurred.strftime("%Y%m%dT%H%M%SZ"))
        if payload["failure_key"] != expected:
            return rejected(f"failure_key: expected {expected!r}")
        running = [mo for mo in self._mos.values()
                   if mo["line"] == payload["line"] and mo["plc_state"] == "sent"]
        failure_id = len(self.failures) + 1
        self.failures.append({"id": failure_id, **copy.deepcopy(payload),
                              "mo_names": sorted(mo["name"] for mo in running)})
        return self._area_result("stored", failure_id=failure_id)

    def _plc_report_manual_weighing(self, payload: Any) -> dict[str, Any]:
        return self._answer("plc_report_manual_weighing", "weighing_key", payload, self._apply_weighing)

    def _apply_weighing(self, payload: dict[str, Any]) -> dict[str, Any]:
        for name in WEIGHING_FIELDS:
            if name not in payload:
                return self._area_result("rejected", f"{name}: missing")
        unknown = sorted(set(payload) - set(WEIGHING_FIELDS))
        if unknown:
            return self._area_result("rejected", f"{unknown[0]}: unknown field")
        for name in ("line", "weighing_key", "mo_name"):
            if not isinstance(payload[name], str):
                return self._area_result("rejected", f"{name}: must be a string")
        for name in ("batch_number", "product_template_id"):
            value = payload[name]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                return self._area_result("rejected", f"{name}: must be an integer >= 0")
        quantity = payload["quantity"]
        if not isinstance(quantity, (int, float)) or isinstance(quantity, bool) or not math.isfinite(quantity):
            return self._area_result("rejected", "quantity: must be a finite number")
        if _utc(payload["weighed_at"]) is None:
            return self._area_result("rejected", "weighed_at: must be an ISO 8601 time with its offset")
        mo = next((m for m in self._mos.values() if m["name"] == payload["mo_name"]), None)
        variants = self._products.get(payload["product_template_id"])
        reason = None
        if mo is None:
            reason = f"mo_name: no MO {payload['mo_name']!r}"
        elif variants is None:
            reason = f"product_template_id: no product template {payload['product_template_id']}"
        elif variants > 1:
            reason = f"product_template_id: template {payload['product_template_id']} has {variants} variants"
        elif mo["state"] == "cancel":
            reason = f"mo_name: MO {mo['name']} is cancelled"
        elif not 0 < quantity <= MAX_PLAUSIBLE_KG:
            reason = f"quantity: {quantity} kg is not plausible"
        entry = {**copy.deepcopy(payload), "status": "kept" if reason else "consumed", "reason": reason}
        self.weighings.append(entry)
        if reason:
            return self._area_result("kept", reason)
        mo.setdefault("manual", []).append(
            {"product_template_id": payload["product_template_id"], "quantity": float(quantity),
             "weighed_at": payload["weighed_at"], "after_done": mo["state"] == "done"})
        return self._area_result("consumed")

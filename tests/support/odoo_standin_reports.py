"""The stand-in Odoo's side of the report areas: ``plc_report_failure`` and
``plc_report_manual_weighing``, as docs/api.md specifies them.

Failures: stored once per line and ``failure_key`` (taken as it comes), with the MOs the
line was running then; the same key again answers the first result with ``duplicate``
true. Weighings: ``consumed`` (added to the MO's manual consumption, open or done),
``kept`` (stored for a person: no such MO on the line, unknown product, template with
several variants, cancelled or draft MO, implausible quantity) or ``rejected``
(malformed); once per line and ``weighing_key``: the same payload again answers the first
result with ``duplicate`` true, another payload under the key is rejected. An agent user
naming a line it is not bound to is refused (``AccessError``) and nothing is written.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .odoo_standin_payloads import Rejected, check_failure, check_weighing, cut, show

API_VERSION = 1
# docs/api.md: a line's "Largest manual weighing" (kg), 1000 unless set; 0: no upper limit.
DEFAULT_WEIGHING_MAX_KG = 1000.0


class AreaReportsStandin:
    """Mixed into OdooStandin, which holds ``_lock``, ``_lines``, ``_mos`` and the caller's
    line check ``_check_speaks_for``."""

    _lock: Any
    _lines: dict[str, dict[str, Any]]
    _mos: dict[int, dict[str, Any]]
    _check_speaks_for: Callable[[str], None]

    def _init_area_reports(self) -> None:
        self.failures: list[dict[str, Any]] = []
        self.weighings: list[dict[str, Any]] = []  # consumed and kept
        self.area_answers: list[dict[str, Any]] = []  # every answer: method, payload, result, at
        # (method, line, key) -> the first answer and the payload's digest.
        self._area_keys: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._products: dict[int, int] = {}  # template id -> number of variants

    # -- test controls

    def add_product(self, template_id: int, variants: int = 1) -> None:
        with self._lock:
            self._products[template_id] = variants

    def set_weighing_max(self, code: str, kilograms: float) -> None:
        """The line's *Largest manual weighing* (0: no upper limit)."""
        with self._lock:
            self._lines[code]["weighing_max_kg"] = kilograms

    def manual_consumption(self, mo_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._mos[mo_id].get("manual", []))

    def area_calls(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(a) for a in self.area_answers if a["method"] == method]

    # -- the RPC methods

    def _answer(self, method: str, key_name: str, payload: Any,
                check: Callable[[Any], Any], decide: Callable[[dict[str, Any]], dict[str, Any]],
                rejected: Callable[[str], dict[str, Any]], *, by_digest: bool) -> dict[str, Any]:
        with self._lock:
            if isinstance(payload, dict):
                line = payload.get("line")
                # A payload naming a line is the named line's business only: checked before
                # anything else, so a refusal says nothing about the payload.
                if isinstance(line, str) and line.strip() and "\x00" not in line:
                    self._check_speaks_for(line)
            try:
                checked = check(payload)
                if payload["line"] not in self._lines:
                    raise Rejected("line: unknown PLC line %s." % show(payload["line"]))
            except Rejected as error:
                result = rejected(error.reason)
            else:
                slot = (method, payload["line"], payload[key_name])
                known = self._area_keys.get(slot)
                if known is None:
                    result = decide(payload)
                    self._area_keys[slot] = {"digest": checked, "result": copy.deepcopy(result)}
                elif by_digest and known["digest"] != checked:
                    result = rejected("%s: %s was already reported with a different payload; the first "
                                      "report stands." % (key_name, cut(payload[key_name])))
                else:
                    result = dict(known["result"], duplicate=True)
            # The payload as decoded from this request: nobody else holds it.
            self.area_answers.append({"method": method, "payload": payload, "result": copy.deepcopy(result),
                                      "at": datetime.now(UTC).isoformat()})
            return result

    @staticmethod
    def _area_result(status: str, reason: str | None = None, **extra: Any) -> dict[str, Any]:
        return {"status": status, "duplicate": False, "reason": reason, "api_version": API_VERSION,
                **extra}

    def _plc_report_failure(self, payload: Any) -> dict[str, Any]:
        return self._answer(
            "plc_report_failure", "failure_key", payload, check_failure, self._store_failure,
            lambda reason: self._area_result("rejected", reason, failure_id=None),
            # docs/api.md: the same failure key again is the same failure, whatever it says.
            by_digest=False)

    def _store_failure(self, payload: dict[str, Any]) -> dict[str, Any]:
        running = [mo for mo in self._mos.values()
                   if mo["line"] == payload["line"] and mo["plc_state"] == "sent"]
        failure_id = len(self.failures) + 1
        self.failures.append({"id": failure_id, **copy.deepcopy(payload),
                              "mo_names": sorted(mo["name"] for mo in running)})
        return self._area_result("stored", failure_id=failure_id)

    def _plc_report_manual_weighing(self, payload: Any) -> dict[str, Any]:
        return self._answer(
            "plc_report_manual_weighing", "weighing_key", payload, check_weighing, self._apply_weighing,
            lambda reason: self._area_result("rejected", reason), by_digest=True)

    def _apply_weighing(self, payload: dict[str, Any]) -> dict[str, Any]:
        line = self._lines[payload["line"]]
        mo_name = payload["mo_name"].strip()
        # An MO of another line is one this line cannot know of: the same answer as for none.
        mo = next((m for m in self._mos.values() if mo_name and m["name"] == mo_name
                   and m["line"] == payload["line"]), None)
        template_id = payload["product_template_id"]
        variants = self._products.get(template_id)
        quantity = float(payload["quantity"])
        largest = line.get("weighing_max_kg", DEFAULT_WEIGHING_MAX_KG)
        reason = None
        if mo is None:
            reason = f"mo_name: no MO {mo_name!r}"
        elif mo["state"] == "cancel":
            reason = f"mo_name: MO {mo['name']} is cancelled"
        elif mo["state"] == "draft":
            reason = f"mo_name: MO {mo['name']} is not confirmed yet"
        elif variants is None:
            reason = f"product_template_id: no product template {template_id}"
        elif variants > 1:
            reason = f"product_template_id: template {template_id} has {variants} variants"
        elif quantity <= 0 or (largest and quantity > largest):
            reason = f"quantity: {quantity} kg is not plausible (above 0 and at most {largest} kg)"
        entry = {**copy.deepcopy(payload), "status": "kept" if reason else "consumed", "reason": reason}
        self.weighings.append(entry)
        if reason:
            return self._area_result("kept", reason)
        mo.setdefault("manual", []).append(
            {"product_template_id": template_id, "quantity": quantity,
             "weighed_at": payload["weighed_at"], "after_done": mo["state"] == "done"})
        return self._area_result("consumed")

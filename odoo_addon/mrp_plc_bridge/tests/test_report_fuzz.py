# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Random reports against a sent MO: every answer is a result, a rejection writes nothing.

Odoo's Python has no hypothesis; the payloads come from a seeded ``random.Random`` so a
failure names a seed and an index that reproduce it. The parser's own property tests run
with hypothesis in the agent's suite (tests/agent/test_report_payload_properties.py).
"""
import copy
import json
import logging
import random

from odoo.tests import tagged

from .common import PlcBridgeCase, create_mo

_logger = logging.getLogger(__name__)

SEED = 20261129
PAYLOADS = 300
FIELDS = (
    "mo_id",
    "line",
    "batch_key",
    "consumption",
    "status",
    "finished_quantity",
    "started_at",
    "finished_at",
    "message",
    "suspect",
)
JUNK = [
    None,
    True,
    False,
    0,
    -1,
    2 ** 31,
    10 ** 400,
    1e308,
    float("nan"),
    float("inf"),
    -0.0,
    12.5,
    "",
    " ",
    "x",
    "\x00",
    "T1\x00",
    "101",
    "2026-13-40T99:00:00",
    "0001-01-01T00:00:00+01:00",
    [],
    [1],
    [None],
    {},
    {"silo": "101"},
    "\u00e9" * 600,
]


class _Undo(Exception):
    """Rolls back a random payload that happened to be accepted."""


@tagged("post_install", "-at_install")
class TestReportFuzz(PlcBridgeCase):
    def test_random_payloads_answer_and_rejections_write_nothing(self):
        production = create_mo(self.env, self.bom, 1000.0)
        other = create_mo(self.env, self.bom, 500.0)
        batch = self.send(production)
        self.send(other)
        good = self.payload(batch, {"101": 601.5})
        ids = [production.id, other.id, 999999999]
        rng = random.Random(SEED)
        before = self.snapshot(production | other)
        answers = {}
        for index in range(PAYLOADS):
            payload = self.random_payload(rng, good, ids)
            label = "seed %s payload %s: %r" % (SEED, index, payload)
            try:
                with self.env.cr.savepoint():
                    result = self.report(payload)
                    if result["status"] != "rejected":
                        raise _Undo(result)
            except _Undo as undone:
                result = undone.args[0]
            answers[result["status"]] = answers.get(result["status"], 0) + 1
            self.assertEqual(
                set(result),
                {"status", "mo_state", "reason", "duplicate", "api_version"},
                label,
            )
            self.assertIn(
                result["status"], ("rejected", "done", "recorded", "failed"), label
            )
            json.dumps(result)
            if result["status"] == "rejected":
                self.assertTrue(result["reason"], label)
                self.assertFalse(result["duplicate"], label)
            self.assertEqual(self.snapshot(production | other), before, label)
        _logger.info(
            "RANDOM REPORTS seed %s: %s payloads, answers %s", SEED, PAYLOADS, answers
        )
        # Mostly rejections, and some accepted ones, or the generator lost its aim.
        self.assertGreater(answers.get("rejected", 0), PAYLOADS // 2, answers)
        self.assertGreater(PAYLOADS - answers.get("rejected", 0), 5, answers)
        self.assertEqual(self.report(good)["status"], "done")

    def snapshot(self, productions):
        productions.invalidate_cache()
        return [
            (
                production.state,
                production.plc_state,
                production.plc_reason,
                production.plc_report_digest,
                production.plc_reported_at,
                production.plc_finished_qty_actual,
                production.plc_finished_weight_actual,
                production.plc_suspect,
                production.qty_producing,
                len(production.activity_ids),
                sorted(
                    (c.silo_code, c.reported, c.actual_qty, c.plc_actual_qty, c.suspect)
                    for c in production.plc_consumption_ids
                ),
                sorted(
                    (m.id, m.state, m.quantity_done, len(m.move_line_ids))
                    for m in production.move_raw_ids | production.move_finished_ids
                ),
            )
            for production in productions
        ]

    def random_payload(self, rng, good, ids):
        payload = copy.deepcopy(good)
        for _step in range(rng.randint(1, 3)):
            rng.choice(
                [
                    self._drop_field,
                    self._add_field,
                    self._junk_field,
                    self._other_mo,
                    self._mutate_consumption,
                    self._random_suspect,
                    self._random_suspect,
                    self._valid_quantity,
                ]
            )(rng, payload, ids)
        return payload

    def _drop_field(self, rng, payload, ids):
        payload.pop(rng.choice(FIELDS), None)

    def _add_field(self, rng, payload, ids):
        payload[rng.choice(["colour", "Mo_id", "", "suspects"])] = self._junk(rng)

    def _junk_field(self, rng, payload, ids):
        payload[rng.choice(FIELDS)] = self._junk(rng)

    def _other_mo(self, rng, payload, ids):
        payload["mo_id"] = rng.choice(ids)
        if rng.random() < 0.5:
            payload["batch_key"] = "T1-%s-%s" % (rng.choice(ids), rng.randint(0, 2))

    def _valid_quantity(self, rng, payload, ids):
        if isinstance(payload.get("consumption"), list) and payload["consumption"]:
            item = rng.choice(payload["consumption"])
            if isinstance(item, dict):
                item["quantity"] = round(rng.uniform(0, 2000), 2)

    def _mutate_consumption(self, rng, payload, ids):
        lines = payload.get("consumption")
        if not isinstance(lines, list) or not lines:
            payload["consumption"] = [self._junk(rng)]
            return
        index = rng.randrange(len(lines))
        kind = rng.randint(0, 4)
        if kind == 0:
            del lines[index]
        elif kind == 1:
            lines.append(copy.deepcopy(lines[index]))
        elif kind == 2:
            lines[index] = self._junk(rng)
        elif isinstance(lines[index], dict):
            key = rng.choice(["silo", "quantity", "extra"])
            lines[index][key] = rng.choice(
                [self._junk(rng), "103", "999", "114", 101]
            )

    def _random_suspect(self, rng, payload, ids):
        values = []
        for _value in range(rng.randint(0, 3)):
            value = {
                "silo": rng.choice(["101", "102", "103", "999", None, 101, "", "\x00"]),
                "raw_words": rng.choice(
                    [
                        [rng.randint(0, 0xFFFF) for _word in range(rng.randint(1, 4))],
                        [0xFFFF, 0xFFFF],
                        [-1],
                        [0x10000],
                        [True],
                        [1.5],
                        [],
                        list(range(65)),
                        self._junk(rng),
                    ]
                ),
                "reason": rng.choice(["low word 0xFFFF", "", "x" * 500, self._junk(rng)]),
            }
            if rng.random() < 0.2:
                del value[rng.choice(list(value))]
            if rng.random() < 0.1:
                value["extra"] = 1
            values.append(value)
        payload["suspect"] = values if rng.random() < 0.9 else self._junk(rng)

    def _junk(self, rng):
        return copy.deepcopy(rng.choice(JUNK))

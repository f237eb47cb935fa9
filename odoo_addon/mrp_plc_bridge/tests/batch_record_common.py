# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A batch with everything an auditor asks about, as the line and the people made it.

The line fails the first run (the mixer trips), a planner releases the MO, the second
run is dosed from silo 101's lot with a failure on the line and a manual weighing while it
runs, the line doubts silo 101's actual, and a planner accepts the actuals.
"""
from lxml import html

from .common import PlcBridgeCase, add_stock, build_plant, create_mo, create_product

SENTINEL = {"silo": "101", "raw_words": [3, 65535], "reason": "low word 0xFFFF"}
# The PLC's times of the two runs (UTC); the reader is in Berlin (CET, UTC+1 in November).
FIRST_RUN = ("2026-11-28T06:00:01+00:00", "2026-11-28T06:04:12+00:00")
SECOND_RUN = ("2026-11-28T07:00:00+00:00", "2026-11-28T07:04:30+00:00")
FAILURE_AT = "2026-11-28T07:01:30+00:00"
WEIGHED_AT = "2026-11-28T07:02:00+00:00"
READER_TZ = "Europe/Berlin"


def make_user(env, login, groups, tz="UTC"):
    return (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": login.replace("_", " ").title(),
                "login": login,
                "email": login + "@example.com",
                "tz": tz,
                "groups_id": [(6, 0, [env.ref(group).id for group in groups])],
            }
        )
    )


class BatchRecordCase(PlcBridgeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        # A plant of its own: lot-tracked maize in silo 101, a lot-tracked feed.
        plant = build_plant(env, "BR")
        cls.line = plant["line"]
        cls.silos = plant["silos"]
        cls.products = plant["products"]
        cls.bom = plant["bom"]
        cls.products["maize"].tracking = "lot"
        cls.products["feed"].tracking = "lot"
        cls.lot_a = env["stock.production.lot"].create(
            {
                "name": "MAIZE-LOT-A",
                "product_id": cls.products["maize"].id,
                "company_id": env.company.id,
            }
        )
        # Silo 101 has held lot A since before the PLC's times of these batches (November
        # 2026), not only since this test made the silo: its history says so.
        cls.silos["101"].fill_ids.unlink()
        env["mrp.plc.silo.fill"].create(
            {
                "silo_id": cls.silos["101"].id,
                "product_id": cls.products["maize"].id,
                "lot_id": cls.lot_a.id,
                "valid_from": "2026-11-01 00:00:00",
            }
        )
        add_stock(env, cls.products["maize"], 100000.0, lot=cls.lot_a)
        for name in ("soy", "molasses"):
            add_stock(env, cls.products[name], 100000.0)
        cls.premix = create_product(env, "Vitamin premix BR", "RM-PREMIX-BR")
        add_stock(env, cls.premix, 1000.0)
        cls.line.plc_agent_user_ids = [(4, cls.agent.id)]
        cls.planner = make_user(env, "batch_planner", ["mrp.group_mrp_user"])
        cls.reader = make_user(env, "batch_reader", ["mrp.group_mrp_user"], READER_TZ)
        cls.manager = make_user(env, "batch_manager", ["mrp.group_mrp_manager"])
        cls.report_action = env.ref("mrp_plc_bridge.action_report_batch_record")

    def failure(self, at=FAILURE_AT, info="START_FAILURE", equipment="silo101"):
        return self.Production.plc_report_failure(
            {
                "line": self.line.code,
                "failure_key": "%s/%s/%s/%s" % (self.line.code, equipment, info, at),
                "equipment": equipment,
                "info": info,
                "occurred_at": at,
            }
        )

    def weigh(self, production, quantity=12.5):
        return self.Production.plc_report_manual_weighing(
            {
                "line": self.line.code,
                "weighing_key": "%s-W-%s" % (self.line.code, production.id),
                "mo_name": production.name,
                "batch_number": 42,
                "product_template_id": self.premix.product_tmpl_id.id,
                "quantity": quantity,
                "weighed_at": WEIGHED_AT,
            }
        )

    def full_batch(self, failure_info="START_FAILURE", message="Mixer motor tripped"):
        """An MO through both runs, the failure, the weighing and the acceptance."""
        production = create_mo(self.env, self.bom, 1000.0)
        batch = self.send(production)
        failed = self.report(
            self.payload(
                batch,
                {"101": 120.0, "102": 0.0, "114": 0.0},
                status="failed",
                finished=None,
                message=message,
                started_at=FIRST_RUN[0],
                finished_at=FIRST_RUN[1],
                slot=2,
                batch_number=41,
            )
        )
        self.assertEqual(failed["status"], "failed", failed)
        production.action_plc_release()
        batch = self.send(production)
        self.assertEqual(self.failure(info=failure_info)["status"], "stored")
        self.assertEqual(self.weigh(production)["status"], "consumed")
        recorded = self.report(
            self.payload(
                batch,
                {"101": 612.37, "102": 379.1, "114": 20.0},
                finished=998.2,
                suspect=[SENTINEL],
                started_at=SECOND_RUN[0],
                finished_at=SECOND_RUN[1],
                slot=3,
                batch_number=42,
            )
        )
        self.assertEqual(recorded["status"], "recorded", recorded)
        production.with_user(self.planner).action_plc_accept_actuals()
        self.assertEqual(production.state, "done")
        return production

    def done_batch(self, actuals=None, **extra):
        """An MO the line reported done at once."""
        production = create_mo(self.env, self.bom, 1000.0)
        result = self.report(self.payload(self.send(production), actuals, **extra))
        self.assertEqual(result["status"], "done", result)
        return production

    def record_html(self, production, user=None):
        """The batch record as the HTML report renders it for ``user`` (the reader)."""
        action = self.report_action.with_user(user or self.reader)
        content, kind = action._render_qweb_html(production.ids)
        self.assertEqual(kind, "html")
        return html.fromstring(content)

    @staticmethod
    def text(node):
        """A node's text as a person reads it: whitespace folded."""
        return " ".join(node.text_content().split())

    def section(self, page, name):
        found = page.xpath("//*[@name=$name]", name=name)
        self.assertEqual(len(found), 1, "section %s" % name)
        return found[0]

# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The PLC line: its identity, its policies and what its PLC slot can hold.

How the line hands its MOs out to the agent is in mrp_plc_line_fetch.py.
"""
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class MrpPlcLine(models.Model):
    _name = "mrp.plc.line"
    _description = "PLC Line"
    _order = "code"

    name = fields.Char(required=True)
    code = fields.Char(
        required=True,
        help="The code the line's agent identifies itself with.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
    )
    backorder_policy = fields.Selection(
        [
            ("never", "Never: close with what was produced"),
            ("always", "Always: backorder the rest"),
        ],
        default="never",
        required=True,
        help="What to do with the rest of an MO when the line produced less than "
        "planned.",
    )
    missing_silo_policy = fields.Selection(
        [("block", "Block the MO"), ("consume_planned", "Consume as planned")],
        default="block",
        required=True,
        help="What to do with a component that no silo of the line holds: block the "
        "MO, or consume it as planned when the line reports the batch.",
    )
    consumption_tolerance = fields.Float(
        string="Consumption Tolerance (%)",
        default=2.0,
        help="Deviations beyond this percentage are highlighted.",
    )
    # What one batch slot of the PLC program holds (docs/register-map.md); an MO that
    # does not fit is blocked at fetch instead of being refused by the agent.
    components_per_batch = fields.Integer(
        default=15,
        required=True,
        help="How many silos and tanks one batch slot of the PLC holds. An MO that "
        "needs more is blocked.",
    )
    text_width = fields.Integer(
        default=16,
        required=True,
        help="How many characters the PLC slot's text fields hold. An MO whose "
        "reference is longer is blocked; other texts are shortened by the agent.",
    )
    silo_ids = fields.One2many("mrp.plc.silo", "line_id", string="Silos and Tanks")
    silo_count = fields.Integer(compute="_compute_silo_count")
    production_ids = fields.One2many(
        "mrp.production", "plc_line_id", string="Manufacturing Orders"
    )

    _sql_constraints = [
        ("code_unique", "unique(code)", "The code of a PLC line must be unique."),
    ]

    @api.constrains("components_per_batch", "text_width")
    def _check_capacity(self):
        for line in self:
            for fname in ("components_per_batch", "text_width"):
                if line[fname] < 1:
                    raise ValidationError(
                        _(
                            "Line %(line)s: %(capacity)s must be at least 1, "
                            "not %(value)s.",
                            line=line.code,
                            capacity=line._fields[fname].string,
                            value=line[fname],
                        )
                    )

    @api.depends("silo_ids")
    def _compute_silo_count(self):
        data = self.env["mrp.plc.silo"].read_group(
            [("line_id", "in", self.ids)], ["line_id"], ["line_id"]
        )
        counts = {d["line_id"][0]: d["line_id_count"] for d in data}
        for line in self:
            line.silo_count = counts.get(line.id, 0)

# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A correction of a figure the PLC line reported for a closed MO: a dated entry of its own.

What the line reported is never overwritten once the MO is done (the MO and its
consumption lines refuse the write). A manufacturing manager who finds a figure wrong
records a correction instead: which figure (a silo's actual, or the finished weight), the
value before and after, why, who and when. The batch record shows the PLC's figure and
every correction; the MO's chatter gets a note for each.

A correction is record keeping only: it does not move stock. The quantities the MO consumed
and produced are corrected, where they must be, by Odoo's usual inventory adjustment; the
chatter note says so.
"""
import math

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, html_escape
from odoo.tools.misc import formatLang

from ..payloads.checks import MAX_QUANTITY

MANAGER_GROUP = "mrp.group_mrp_manager"


class MrpPlcConsumptionCorrection(models.Model):
    _name = "mrp.plc.consumption.correction"
    _description = "Correction of a PLC Figure"
    _order = "production_id, corrected_at, id"

    production_id = fields.Many2one(
        "mrp.production",
        string="Manufacturing Order",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
    )
    company_id = fields.Many2one(related="production_id.company_id", store=True)
    consumption_id = fields.Many2one(
        "mrp.plc.consumption",
        string="Consumption Line",
        readonly=True,
        index=True,
        ondelete="restrict",
        help="The silo's actual that is corrected; empty for the finished weight.",
    )
    figure = fields.Char(
        compute="_compute_figure",
        help="The figure corrected: a silo's actual, or the finished weight.",
    )
    uom_id = fields.Many2one(
        "uom.uom",
        string="Unit",
        readonly=True,
        help="The unit the line reported the figure in: the silo's PLC unit, or kg for "
        "the finished weight.",
    )
    old_value = fields.Float(
        string="Before",
        digits="Product Unit of Measure",
        readonly=True,
        help="The figure before this correction: what the line reported, or the value "
        "of the correction before.",
    )
    new_value = fields.Float(
        string="Corrected to", digits="Product Unit of Measure", readonly=True
    )
    reason = fields.Text(required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users",
        string="Corrected by",
        required=True,
        readonly=True,
        ondelete="restrict",
    )
    corrected_at = fields.Datetime(string="Corrected at", required=True, readonly=True)

    @api.depends("consumption_id.silo_code", "consumption_id.product_id")
    def _compute_figure(self):
        for correction in self:
            correction.figure = correction._plc_figure_text()

    def _plc_figure_text(self):
        self.ensure_one()
        consumption = self.consumption_id
        if not consumption:
            return _("Finished weight")
        return _(
            "Silo %(silo)s (%(product)s), run %(run)s",
            silo=consumption.silo_code,
            product=consumption.product_id.display_name,
            run=consumption.run,
        )

    # ------------------------------------------------------------------
    # Made once, never changed
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                _("Only manufacturing managers may correct the figures a PLC line reported.")
            )
        now = fields.Datetime.now()
        checked = [self._plc_checked_values(vals, now) for vals in vals_list]
        corrections = super().create(checked)
        for correction in corrections:
            correction._plc_post_note()
        return corrections

    def _plc_checked_values(self, vals, now):
        """The values of a new correction: the MO, figure and value checked, the value
        before, the user and the time set here whatever the caller gave."""
        production = self.env["mrp.production"].browse(vals.get("production_id"))
        consumption = self.env["mrp.plc.consumption"].browse(vals.get("consumption_id"))
        if not production.exists():
            raise ValidationError(_("A correction needs the manufacturing order it corrects."))
        if production.state != "done":
            raise UserError(
                _(
                    "%(mo)s is not done: until it is, the PLC's figures are checked and "
                    "accepted on the order itself (Accept PLC actuals, or the components), "
                    "not corrected.",
                    mo=production.name,
                )
            )
        if consumption and consumption.production_id != production:
            raise ValidationError(
                _(
                    "Consumption line of silo %(silo)s belongs to %(other)s, not to %(mo)s.",
                    silo=consumption.silo_code,
                    other=consumption.production_id.name,
                    mo=production.name,
                )
            )
        if consumption and not consumption.reported:
            raise UserError(
                _(
                    "Silo %(silo)s of %(mo)s run %(run)s was not reported by the line: "
                    "there is no figure to correct.",
                    silo=consumption.silo_code,
                    mo=production.name,
                    run=consumption.run,
                )
            )
        if not production.plc_reported_at:
            raise UserError(
                _(
                    "The PLC line reported nothing for %s: there is no figure to correct.",
                    production.name,
                )
            )
        reason = (vals.get("reason") or "").strip()
        if not reason:
            raise ValidationError(_("A correction needs its reason."))
        new_value = vals.get("new_value")
        if (
            isinstance(new_value, bool)
            or not isinstance(new_value, (int, float))
            or not math.isfinite(new_value)
            or not 0 <= new_value < MAX_QUANTITY
        ):
            raise ValidationError(
                _(
                    "The corrected value must be a number from 0 to below %(max)g, "
                    "not %(value)r.",
                    max=MAX_QUANTITY,
                    value=new_value,
                )
            )
        if consumption:
            old_value = consumption._plc_corrected_actual()
            uom = consumption.plc_uom_id or consumption.product_uom_id
        else:
            old_value = production._plc_corrected_finished_weight()
            uom = production.plc_line_id._plc_weight_uom()
        if (
            float_compare(new_value, old_value, precision_rounding=uom.rounding or 0.001)
            == 0
        ):
            raise UserError(
                _(
                    "The figure is %(value)s %(uom)s already: a correction changes it.",
                    value=old_value,
                    uom=uom.name,
                )
            )
        return {
            "production_id": production.id,
            "consumption_id": consumption.id,
            "uom_id": uom.id,
            "old_value": old_value,
            "new_value": float(new_value),
            "reason": reason,
            "user_id": self.env.user.id,
            "corrected_at": now,
        }

    def write(self, vals):
        if not self or not vals:
            return super().write(vals)
        raise UserError(
            _(
                "A correction of a PLC figure is never changed: record another correction "
                "on the MO's PLC page."
            )
        )

    def unlink(self):
        if not self:
            return super().unlink()
        raise UserError(
            _(
                "A correction of a PLC figure is never deleted: record another correction "
                "on the MO's PLC page."
            )
        )

    def _plc_post_note(self):
        """A note on the MO's chatter; every part is escaped (the line's and people's text)."""
        self.ensure_one()
        production = self.production_id
        parts = [
            _(
                "PLC figure corrected: %(figure)s from %(old)s to %(new)s %(uom)s by "
                "%(user)s at %(at)s.",
                figure=self.figure,
                old=formatLang(self.env, self.old_value, dp="Product Unit of Measure"),
                new=formatLang(self.env, self.new_value, dp="Product Unit of Measure"),
                uom=self.uom_id.name,
                user=self.user_id.name,
                at=self.env["mrp.plc.line"]._plc_time_text(self.corrected_at),
            ),
            _("Reason: %s", self.reason),
            _(
                "The line's own figure stays on the record. Stock is not changed by a "
                "correction: adjust it with an inventory adjustment where it must be."
            ),
        ]
        production.message_post(
            body="<br/>".join(html_escape(part) for part in parts),
            subtype_xmlid="mail.mt_note",
        )

# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""How much of a product the PLC doses, in the unit the PLC doses it in, and back.

The PLC weighs (or meters) in its silo's unit, whatever unit Odoo counts the product in.
Within one category Odoo's own conversion applies; across categories (bags of a product
counted in units, litres on a scale) only the product's weight can bridge, and without
one there is no conversion: the MO must not go to the line.
"""
from odoo import _, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _plc_qty_to_plc(self, qty, from_uom, plc_uom):
        """``qty`` of the product in ``from_uom`` as the PLC doses it, in ``plc_uom``."""
        self.ensure_one()
        if from_uom.category_id == plc_uom.category_id:
            return from_uom._compute_quantity(qty, plc_uom, round=False)
        weight_uom = self._plc_weight_uom(from_uom, plc_uom)
        in_product_uom = from_uom._compute_quantity(qty, self.uom_id, round=False)
        return weight_uom._compute_quantity(
            in_product_uom * self.weight, plc_uom, round=False
        )

    def _plc_qty_from_plc(self, qty, plc_uom, to_uom):
        """What the PLC reports in ``plc_uom`` as a quantity of the product in ``to_uom``."""
        self.ensure_one()
        if plc_uom.category_id == to_uom.category_id:
            return plc_uom._compute_quantity(qty, to_uom, round=False)
        weight_uom = self._plc_weight_uom(to_uom, plc_uom)
        weight = plc_uom._compute_quantity(qty, weight_uom, round=False)
        return self.uom_id._compute_quantity(
            weight / self.weight, to_uom, round=False
        )

    def _plc_conversion_problem(self, uom, plc_uom):
        """Why the product in ``uom`` cannot be dosed in ``plc_uom``, or None."""
        self.ensure_one()
        try:
            if uom.category_id != plc_uom.category_id:
                self._plc_weight_uom(uom, plc_uom)
        except UserError as error:
            return error.args[0]
        return None

    def _plc_weight_uom(self, uom, plc_uom):
        """The unit of ``product.weight`` when it bridges ``uom`` and ``plc_uom``.

        ``weight`` is the weight of one unit of the product's own UoM, so it converts
        between that UoM's category and the weight category only.
        """
        weight_uom = self.product_tmpl_id._get_weight_uom_id_from_ir_config_parameter()
        if (
            uom.category_id == self.uom_id.category_id
            and plc_uom.category_id == weight_uom.category_id
        ):
            if not float_is_zero(self.weight, precision_digits=6) and self.weight > 0:
                return weight_uom
            raise UserError(
                _(
                    "%(product)s is counted in %(uom)s and the PLC doses it in "
                    "%(plc_uom)s: give the product its weight (%(weight_uom)s per "
                    "%(product_uom)s).",
                    product=self.display_name,
                    uom=uom.name,
                    plc_uom=plc_uom.name,
                    weight_uom=weight_uom.name,
                    product_uom=self.uom_id.name,
                )
            )
        raise UserError(
            _(
                "%(product)s is counted in %(uom)s and the PLC doses it in "
                "%(plc_uom)s: Odoo has no conversion between %(category)s and "
                "%(plc_category)s.",
                product=self.display_name,
                uom=uom.name,
                plc_uom=plc_uom.name,
                category=uom.category_id.name,
                plc_category=plc_uom.category_id.name,
            )
        )

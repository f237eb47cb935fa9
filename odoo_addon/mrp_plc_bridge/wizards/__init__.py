from . import mrp_plc_agent_access
from . import mrp_plc_silo_refill
from . import mrp_plc_lot_choice
from . import mrp_plc_lot_choice_share
from . import mrp_plc_correction_wizard
from . import mrp_plc_batch_record_export

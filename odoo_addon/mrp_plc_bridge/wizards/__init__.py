from . import mrp_plc_agent_access
from . import mrp_plc_correction_wizard
from . import mrp_plc_batch_record_export

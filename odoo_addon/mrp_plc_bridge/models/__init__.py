from . import mrp_plc_line
from . import mrp_plc_silo
from . import mrp_plc_consumption
from . import mrp_bom
from . import mrp_production
from . import mrp_plc_line_agent_access

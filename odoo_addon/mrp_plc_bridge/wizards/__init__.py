from . import mrp_plc_agent_access
from . import mrp_plc_silo_refill

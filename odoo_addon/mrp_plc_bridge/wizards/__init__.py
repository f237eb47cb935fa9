from . import mrp_plc_agent_access

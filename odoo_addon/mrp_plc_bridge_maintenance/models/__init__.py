from . import mrp_plc_failure

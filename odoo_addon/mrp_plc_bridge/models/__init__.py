from . import mrp_plc_line
from . import mrp_plc_line_fetch
from . import mrp_plc_silo
from . import mrp_plc_consumption
from . import mrp_bom
from . import mrp_production
from . import mrp_production_plc_api
from . import mrp_production_plc_report

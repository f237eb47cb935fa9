from . import test_maintenance_request
from . import test_plant_text

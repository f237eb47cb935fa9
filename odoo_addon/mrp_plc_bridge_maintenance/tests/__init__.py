from . import test_maintenance_request

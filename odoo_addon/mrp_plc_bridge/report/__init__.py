from . import mrp_production_batch_record

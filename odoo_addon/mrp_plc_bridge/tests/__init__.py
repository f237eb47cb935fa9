from . import test_fetch
from . import test_report
from . import test_access
from . import test_query_count
from . import test_concurrency
from . import test_ui
from . import test_agent_access
from . import test_line_rules

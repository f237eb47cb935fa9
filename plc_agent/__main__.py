"""``python -m plc_agent``: the same as the ``plc-agent`` command."""

import sys

from .cli import main

sys.exit(main())

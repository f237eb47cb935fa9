"""The old program's layout (no word 77) over Omron FINS/UDP and FINS/TCP: the scenarios of
``test_old_layout``, with the simulator and the link of ``test_over_fins``."""

from __future__ import annotations

from .test_old_layout import (  # noqa: F401  (the old program's map, and its scenarios collected here)
    register_map,
    test_full_cycle_without_word_77,
    test_rerun_in_its_previous_slot_is_written_and_run_once,
    test_rerun_started_before_restart_is_stored_once,
    test_rerun_taken_before_restart_is_marked_written_not_written_again,
)
from .test_over_fins import agent_settings, database_url, plc_simulator  # noqa: F401  (over FINS)

"""The rolling batch number (``plc_agent.plc.batch_numbers``): 1..65535, never one in use.
"""

from __future__ import annotations

import pytest


def test_numbers_roll_over_and_skip_those_in_use():
    from plc_agent.plc.batch_numbers import next_batch_numbers

    assert next_batch_numbers(None, 3, set()) == [1, 2, 3]
    assert next_batch_numbers(65533, 4, {1}) == [65534, 65535, 2, 3]
    assert next_batch_numbers(10, 3, {11, 13}) == [12, 14, 15]
    with pytest.raises(ValueError, match="only 1 are free"):
        next_batch_numbers(1, 2, set(range(2, 65536)))

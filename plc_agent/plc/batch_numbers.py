"""The rolling batch number: 1..65535, the number the PLC knows a batch by.

Numbers follow each other from the last one given (after 65535 comes 1) and skip every
number still in use: in the queue, or in either PLC area (a read slot can show an old batch
for a long time). With 65535 numbers and at most a queue and two areas in use, a number
comes back only after tens of thousands of batches, so a batch is never taken for another
with the same slot and MO reference (a re-released MO in the slot of its previous run).
"""

from __future__ import annotations

from collections.abc import Iterable

from .register_map import SlotBatch, SlotReading

MAX_BATCH_NUMBER = 0xFFFF


def next_batch_numbers(last: int | None, count: int, in_use: Iterable[int]) -> list[int]:
    """``count`` numbers after ``last`` (None: none given yet), none of them in ``in_use``."""
    taken = {n for n in in_use if 1 <= n <= MAX_BATCH_NUMBER}
    if count > MAX_BATCH_NUMBER - len(taken):
        raise ValueError(f"{count} batch numbers asked, only {MAX_BATCH_NUMBER - len(taken)} are free")
    numbers: list[int] = []
    current = last if last and 1 <= last <= MAX_BATCH_NUMBER else 0
    while len(numbers) < count:
        current = current % MAX_BATCH_NUMBER + 1
        if current not in taken:
            numbers.append(current)
            taken.add(current)
    return numbers


def numbers_in_areas(write_area: Iterable[SlotBatch | None],
                     read_area: Iterable[SlotReading]) -> set[int]:
    """The batch numbers either PLC area holds."""
    numbers = {batch.batch_number for batch in write_area if batch is not None}
    numbers |= {reading.batch_number for reading in read_area if not reading.is_empty}
    return numbers - {0}

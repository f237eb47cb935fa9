"""The simulated line's fault switches: what a test, a benchmark or the fault campaign turns on.

A switch is set from the caller's thread and read by the simulator's loop, so every switch
sits behind one lock. The server asks :meth:`FaultSwitches.answer` how to answer each
Modbus request (late, with an exception, or not at all: the connection dropped); the line
asks :meth:`FaultSwitches.batch_end` how its next batch in a slot ends (failed, with
garbage, with a given weight) and :meth:`FaultSwitches.holds` whether to wait at a step.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from ..register_map import RegisterMap, ValueType

GARBAGE_FORMS = ("sentinel", "negative", "huge", "extreme")  # see FaultSwitches.set_mixed_garbage
REQUEST_KINDS = ("read", "write", "handshake", "ack", "report_ack")
# What UDP does to a datagram that TCP never does (see FaultSwitches.datagram_fault_next).
DATAGRAM_FAULTS = ("lose_request", "lose_answer", "duplicate_answer", "late_answer")
HOLD_STEPS = ("start", "end")


@dataclass(frozen=True)
class Answer:
    """How the PLC answers one request."""

    delay: float  # seconds before the answer
    exception: bool  # Modbus exception 4 (device failure) instead of the data
    drop: str | None  # "before" / "after" the request takes effect the connection drops; None: it does not


@dataclass(frozen=True)
class DatagramFate:
    """What happens to one FINS/UDP request and its answer."""

    lose_request: bool  # the request never arrives: nothing happens, no answer
    lose_answer: bool  # the request takes effect, its answer is lost
    duplicate_answer: bool  # the answer arrives twice
    late_by: float  # seconds the answer is held back (0: on time)


@dataclass(frozen=True)
class BatchEnd:
    """How the line's next batch in a slot ends."""

    fail: bool  # status_operation = 1, part-way through
    garbage: bool  # every quantity and the finished weight as 0xFFFF words
    mixed_garbage: tuple[str, ...]  # forms of garbage for some values, chosen at random
    weight: float | None  # the finished weight to report exactly; None: planned +- noise


class FaultSwitches:
    """Every fault of one simulated line, off until switched on."""

    def __init__(self, register_map: RegisterMap, rng: random.Random) -> None:
        self.register_map = register_map
        self._random = rng
        self._lock = threading.Lock()
        self._fail_slots: set[int] = set()
        self._weights: dict[int, float] = {}
        self._hold: tuple[int, str] | None = None
        self._drop_next: tuple[str, str] | None = None
        self._drop_skip = 0  # requests of the kind served before the drop
        self._drops_left = 0
        self._garbage = False
        self._mixed_garbage: tuple[str, ...] = ()
        self._exceptions = False
        self._delay = 0.0
        self._jitter = 0.0
        self.dropped_requests: list[tuple[str, str, int]] = []  # (request, effect, address)
        self._datagram_next: list[str] = []
        self._datagram_rates: dict[str, float] = dict.fromkeys(DATAGRAM_FAULTS, 0.0)
        self._late_seconds = 0.0
        self.datagram_faults: list[tuple[str, int]] = []  # (fault, SID) as they happened

    # ------------------------------------------------------------------ the batches

    def fail_batch(self, slot: int) -> None:
        """The next batch run in `slot` ends with status_operation = 1."""
        self.register_map.read_slot_address(slot)  # refuses a slot that does not exist
        with self._lock:
            self._fail_slots.add(slot)

    def report_weight(self, slot: int, weight: float) -> None:
        """The next batch finished in `slot` reports exactly `weight` (kg) as its finished
        weight: a real value whose words look like a sentinel (2621.43 = 0x0003 0xFFFF)."""
        self.register_map.read_slot_address(slot)  # refuses a slot that does not exist
        with self._lock:
            self._weights[slot] = weight

    def hold_before(self, slot: int, step: str) -> None:
        """Stop the line just before its next batch in `slot` starts ("start") or ends ("end").

        The line waits there until `release()`, so a test can make the PLC move at an exact
        point of the agent's request sequence (for example between two read requests).
        """
        self.register_map.read_slot_address(slot)  # refuses a slot that does not exist
        if step not in HOLD_STEPS:
            raise ValueError(f"step must be 'start' or 'end', got {step!r}")
        with self._lock:
            self._hold = (slot, step)

    def release(self) -> None:
        """Let a line stopped by `hold_before` go on."""
        with self._lock:
            self._hold = None

    def set_garbage(self, enabled: bool) -> None:
        """Finished batches report 0xFFFF words for consumption and finished weight."""
        with self._lock:
            self._garbage = enabled

    def set_mixed_garbage(self, forms: tuple[str, ...] = GARBAGE_FORMS) -> None:
        """Finished batches report some values (at least one, chosen at random) as garbage
        of a random form: ``sentinel`` (every word 0xFFFF), ``negative`` (minus the real
        value), ``huge`` (1000 x the real value), ``extreme`` (the largest value the words
        hold). An empty tuple ends it. Each garbled batch lands in the line's
        ``garbled_batches``."""
        unknown = sorted(set(forms) - set(GARBAGE_FORMS))
        if unknown:
            raise ValueError(f"unknown garbage form(s) {', '.join(unknown)}; known: {', '.join(GARBAGE_FORMS)}")
        with self._lock:
            self._mixed_garbage = tuple(forms)

    # ------------------------------------------------------------------ the requests

    def set_exception_responses(self, enabled: bool) -> None:
        """Answer every request with Modbus exception 4 (device failure)."""
        with self._lock:
            self._exceptions = enabled

    def set_response_delay(self, seconds: float) -> None:
        with self._lock:
            self._delay = max(0.0, seconds)

    def set_response_jitter(self, seconds: float) -> None:
        """Answer each request after a random 0..`seconds` delay, so that the line moves at
        random moments between the requests of one area read."""
        with self._lock:
            self._jitter = max(0.0, seconds)

    def drop_at_next(self, request: str, effect: str, skip: int = 0, times: int = 1) -> None:
        """Drop the connection at the next request of one kind, `times` times in a row, after
        `skip` more requests of that kind are served (any request of a sequence, not only
        its first).

        `request`: "read", "write" (a slot of the write area), "handshake" (word 7076),
        "ack" (a read slot's status_read_data) or "report_ack" (a report area's handshake).
        `effect`: "before" (the request is not served) or "after" (a write takes effect, then
        the answer is lost with the connection) -- the two cases an agent cannot tell apart.
        `times` = 2 drops the agent's one retry on a fresh connection too, so that a read or a
        data write fails for the agent (a handshake or acknowledgement write fails at the
        first drop: the agent never sends one twice).
        """
        if request not in REQUEST_KINDS:
            raise ValueError(f"request must be one of {', '.join(REQUEST_KINDS)}, got {request!r}")
        if effect not in ("before", "after"):
            raise ValueError(f"effect must be 'before' or 'after', got {effect!r}")
        if skip < 0:
            raise ValueError(f"skip must be >= 0, got {skip}")
        if times < 1:
            raise ValueError(f"times must be >= 1, got {times}")
        with self._lock:
            self._drop_next = (request, effect)
            self._drop_skip = skip
            self._drops_left = times

    def datagram_fault_next(self, fault: str, times: int = 1, late_seconds: float | None = None) -> None:
        """FINS/UDP: the next `times` requests meet `fault` (one of DATAGRAM_FAULTS).

        ``late_answer`` holds each answer back `late_seconds` (set it beyond the agent's
        timeout, so that the answer arrives while the agent waits for its retry's answer).
        """
        if fault not in DATAGRAM_FAULTS:
            raise ValueError(f"datagram fault must be one of {', '.join(DATAGRAM_FAULTS)}, got {fault!r}")
        if times < 1:
            raise ValueError(f"times must be >= 1, got {times}")
        with self._lock:
            self._datagram_next.extend([fault] * times)
            if late_seconds is not None:
                self._late_seconds = max(0.0, late_seconds)

    def set_datagram_fault_rates(self, late_seconds: float = 0.0, **rates: float) -> None:
        """FINS/UDP: each request meets each fault with its probability (0..1), for example
        ``set_datagram_fault_rates(lose_request=0.01, duplicate_answer=0.02)``; no rate ends them."""
        unknown = sorted(set(rates) - set(DATAGRAM_FAULTS))
        if unknown:
            raise ValueError(f"unknown datagram fault(s) {', '.join(unknown)}; known: {', '.join(DATAGRAM_FAULTS)}")
        bad = {k: v for k, v in rates.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"datagram fault rates must be in [0, 1], got {bad}")
        with self._lock:
            self._datagram_rates = {fault: rates.get(fault, 0.0) for fault in DATAGRAM_FAULTS}
            self._late_seconds = max(0.0, late_seconds)

    # ------------------------------------------------------------------ asked by the simulator

    def datagram(self, sid: int) -> DatagramFate:
        """The fate of one FINS/UDP request with service id `sid`; noted in ``datagram_faults``."""
        with self._lock:
            if self._datagram_next:
                faults = {self._datagram_next.pop(0)}
            else:
                faults = {f for f, rate in self._datagram_rates.items() if rate and self._random.random() < rate}
            late = self._late_seconds
            self.datagram_faults.extend((fault, sid) for fault in sorted(faults))
        return DatagramFate(lose_request="lose_request" in faults, lose_answer="lose_answer" in faults,
                            duplicate_answer="duplicate_answer" in faults,
                            late_by=late if "late_answer" in faults else 0.0)

    def answer(self, kind: str) -> Answer:
        """How to answer a request of `kind` (one of REQUEST_KINDS); a drop is
        counted off here and noted with :meth:`dropped` when the connection goes."""
        with self._lock:
            delay = self._delay
            if self._jitter:
                delay += self._random.uniform(0.0, self._jitter)
            drop = self._drop_next
            if drop is not None and drop[0] == kind and self._drop_skip > 0:
                self._drop_skip -= 1
                drop = None
            elif drop is not None and drop[0] == kind:
                self._drops_left -= 1
                if self._drops_left <= 0:
                    self._drop_next = None
            else:
                drop = None
            exception = self._exceptions
        return Answer(delay, exception, drop[1] if drop is not None else None)

    def dropped(self, kind: str, effect: str, address: int) -> None:
        """The server dropped the connection at a request (for ``dropped_requests``)."""
        self.dropped_requests.append((kind, effect, address))

    def holds(self, slot: int, step: str) -> bool:
        """Is the line to wait before `step` of its batch in `slot`?"""
        with self._lock:
            return self._hold == (slot, step)

    def batch_end(self, slot: int) -> BatchEnd:
        """How the batch ending now in `slot` ends; a one-batch switch is used up."""
        with self._lock:
            fail = slot in self._fail_slots
            self._fail_slots.discard(slot)
            return BatchEnd(fail=fail, garbage=self._garbage, mixed_garbage=self._mixed_garbage,
                            weight=None if fail else self._weights.pop(slot, None))


def garbage_words(codec: ValueType, real_words: list[int], form: str) -> list[int]:
    """Words of one garbage value in `form`, from the real value's words."""
    if form == "sentinel":
        return [0xFFFF] * codec.words
    real = abs(codec.decode(real_words)) or 1.0
    if form == "negative":
        try:
            return codec.encode(-real, "garbage")
        except ValueError:  # an unsigned type: no negative, its sentinel instead
            return [0xFFFF] * codec.words
    if form == "huge":
        try:
            return codec.encode(real * 1000, "garbage")
        except ValueError:  # the words cannot hold it: the largest they can
            form = "extreme"
    if form == "extreme":
        return [0x7FFF] + [0xFFFF] * (codec.words - 1)
    raise ValueError(f"unknown garbage form {form!r}")

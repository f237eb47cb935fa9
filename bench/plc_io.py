"""Benchmark 1: PLC I/O against the simulator over TCP on loopback.

Reads: one full read of all slots' read area as the agent does it (`PlcLink.read_read_area`,
coalesced requests of at most 125 registers, decoding included) against the protocol
minimum (the words the read area spans / 125) and against a naive read of one request
per field. Writes: the 10 batches of a set (a request per slot, two for a slot the write
handshake word cuts) against the words spanned / 123 and one request per field; and the
whole write sequence of Task 1 (handshake, 10 slots, read-back, handshake).
"""

from __future__ import annotations

import math
import time

from plc_agent.plc.link import PlcLink
from plc_agent.plc.register_map import (
    MAX_READ_REGISTERS,
    MAX_WRITE_REGISTERS,
    ComponentDose,
    RegisterMap,
    SlotBatch,
    load_register_map,
)
from plc_agent.plc.simulator import PlcSimulator

from .common import BenchResult, Stats, Target, fmt_ms, fmt_ratio, time_calls

SILOS = tuple(range(101, 116))


def sample_batch(rmap: RegisterMap, slot: int) -> SlotBatch:
    """A full batch: every component position used, text fields at full length."""
    return SlotBatch(
        batch_no=slot,
        mo_reference=f"WH/MO/{10000 + slot:05d}"[:16],
        bom_code="LAYER-25-STD",
        finished_goods="Layer feed 25 kg",
        planned_quantity=1000.0,
        components=tuple(
            ComponentDose(silo_id=SILOS[k % len(SILOS)], quantity=round(50.0 + k * 3.25, 2))
            for k in range(rmap.max_components)
        ),
    )


def finished_read_words(rmap: RegisterMap, batch: SlotBatch) -> list[int]:
    """Read-area words of a finished batch (what the PLC shows after dosing it)."""
    words = rmap.encode_slot(batch) + [0] * (rmap.read_extent - rmap.write_extent)
    fields = rmap.read_fields

    def put(name: str, value: object) -> None:
        spec = fields[name]
        words[spec.offset:spec.end] = spec.type.encode(value, name)

    put("finished_weight", batch.planned_quantity * 0.998)
    put("status_manufacturing", 1)
    return words[: rmap.read_extent]


def field_spans(rmap: RegisterMap, area: str) -> list[tuple[int, int]]:
    """(offset, words) of every value of one slot: named fields and each silo / quantity."""
    fields = rmap.read_fields if area == "read" else rmap.write_fields
    spans = [(f.offset, f.type.words) for f in fields.values()]
    comps = rmap.components
    for k in range(comps.count):
        spans.append((comps.silo_at(k), comps.silo_type.words))
        spans.append((comps.quantity_at(k), comps.quantity_type.words))
    return sorted(spans)


def words_spanned(rmap: RegisterMap, area: str) -> int:
    start = rmap.read_start if area == "read" else rmap.write_start
    extent = rmap.read_extent if area == "read" else rmap.write_extent
    last_slot = start + rmap.slot_stride * (rmap.slot_count - 1)
    return last_slot + extent - start


def run(repeat: int = 200, naive_repeat: int = 20) -> BenchResult:
    started_run = time.monotonic()
    rmap = load_register_map()
    simulator = PlcSimulator(rmap, batch_seconds=3600.0, noise=0.0, seed=1)
    simulator.start("127.0.0.1", 0)
    link = PlcLink(simulator.host, simulator.port, simulator.unit_id, rmap, timeout=3.0)
    try:
        batches = [sample_batch(rmap, slot) for slot in range(1, rmap.slot_count + 1)]
        for slot, batch in enumerate(batches, start=1):
            simulator.set_registers(rmap.read_slot_address(slot), finished_read_words(rmap, batch))
        link.ping()  # the connection is opened outside the measurement

        # ---------------------------------------------------------------- reads
        def full_read() -> None:
            readings = link.read_read_area()
            assert all(r.status_manufacturing == 1 and not r.problems for r in readings), readings

        before = link.request_count
        full_read()
        read_requests = link.request_count - before
        read_times = time_calls(full_read, repeat)

        read_plan_fields = [
            (rmap.read_slot_address(slot) + offset, words)
            for slot in range(1, rmap.slot_count + 1)
            for offset, words in field_spans(rmap, "read")
        ]

        def naive_read() -> None:
            for address, count in read_plan_fields:
                link.read_registers(address, count)

        before = link.request_count
        naive_read()
        naive_read_requests = link.request_count - before
        naive_read_times = time_calls(naive_read, naive_repeat)

        read_span = words_spanned(rmap, "read")
        read_minimum = math.ceil(read_span / MAX_READ_REGISTERS)
        read_words_needed = rmap.read_extent * rmap.slot_count

        # ---------------------------------------------------------------- writes
        def write_set() -> None:
            for slot, batch in enumerate(batches, start=1):
                link.write_slot(slot, batch)

        before = link.request_count
        write_set()
        write_requests = link.request_count - before
        write_times = time_calls(write_set, repeat)
        assert link.read_write_area() == batches

        def task1_sequence() -> None:
            # Task 1's write when the PLC is ready: handshake, the set, read-back, handshake.
            # The handshake goes back to 1 (not 0) so the simulator stays ready for the next
            # repetition; it is the same one-register request.
            assert link.read_write_handshake() == 1
            write_set()
            assert link.read_write_area() == batches
            link.set_write_handshake(1)

        before = link.request_count
        task1_sequence()
        task1_requests = link.request_count - before
        task1_times = time_calls(task1_sequence, max(20, repeat // 4))

        write_plan_fields = [
            (rmap.write_slot_address(slot) + offset, words, slot, offset)
            for slot in range(1, rmap.slot_count + 1)
            for offset, words in field_spans(rmap, "write")
        ]
        encoded = {slot: rmap.encode_slot(batch) for slot, batch in enumerate(batches, start=1)}

        def naive_write() -> None:
            for address, count, slot, offset in write_plan_fields:
                link.write_registers(address, encoded[slot][offset:offset + count])

        before = link.request_count
        naive_write()
        naive_write_requests = link.request_count - before
        naive_write_times = time_calls(naive_write, naive_repeat)
        assert link.read_write_area() == batches
        violations = list(simulator.line.protocol_violations)
    finally:
        link.close()
        simulator.stop()

    write_span = words_spanned(rmap, "write")
    write_minimum = math.ceil(write_span / MAX_WRITE_REGISTERS)
    write_words = rmap.write_extent * rmap.slot_count

    rs, nrs = Stats.of(read_times), Stats.of(naive_read_times)
    ws, nws, ts = Stats.of(write_times), Stats.of(naive_write_times), Stats.of(task1_times)
    columns = ["operation (10 slots)", "requests", "protocol minimum", "median", "min", "max",
               "naive (1 request / field)", "naive median", "ratio naive / ours"]
    rows = [
        ["full read of the read area (agent)", str(read_requests),
         f"{read_minimum} ({read_span} words / {MAX_READ_REGISTERS})",
         fmt_ms(rs.median), fmt_ms(rs.minimum), fmt_ms(rs.maximum),
         f"{naive_read_requests} requests", fmt_ms(nrs.median),
         f"{fmt_ratio(nrs.median / rs.median)} time, {fmt_ratio(naive_read_requests / read_requests)} requests"],
        ["write 10 batches (agent)", str(write_requests),
         f"{write_minimum} ({write_span} words / {MAX_WRITE_REGISTERS})",
         fmt_ms(ws.median), fmt_ms(ws.minimum), fmt_ms(ws.maximum),
         f"{naive_write_requests} requests", fmt_ms(nws.median),
         f"{fmt_ratio(nws.median / ws.median)} time, {fmt_ratio(naive_write_requests / write_requests)} requests"],
        ["Task 1 write sequence (handshake, 10 slots, read-back, handshake)", str(task1_requests),
         f"{2 + rmap.slot_count + read_minimum_for_write_area(rmap)} (1 + {rmap.slot_count} + "
         f"{read_minimum_for_write_area(rmap)} + 1)",
         fmt_ms(ts.median), fmt_ms(ts.minimum), fmt_ms(ts.maximum), "-", "-", "-"],
    ]
    notes = [
        f"Default register map: {rmap.slot_count} slots, stride {rmap.slot_stride}; a read slot "
        f"uses {rmap.read_extent} words, a write slot {rmap.write_extent}. The agent reads the "
        f"gaps between slots along with them ({read_words_needed} words needed, "
        f"{read_span} spanned), because a request costs far more than the words it carries.",
        f"Writes cannot carry the gaps, nor the write handshake (register "
        f"{rmap.write_handshake_address}), which must only change after the read-back: it "
        f"lies after write slot 1's batch data and before its batch number word, so slot 1 "
        f"takes two requests. So {write_requests} requests is the fewest that write only the "
        f"map's words; {write_minimum} is the bound from {write_span} spanned words "
        f"(or {math.ceil(write_words / MAX_WRITE_REGISTERS)} from the {write_words} words "
        "alone), reachable only by overwriting the handshake.",
        f"Times: median of {repeat} repetitions ({max(20, repeat // 4)} for the Task 1 "
        f"sequence, {naive_repeat} for the naive ways), simulator in the same process, "
        "loopback TCP, one connection opened beforehand; reads include decoding the 10 slots.",
        "The Task 1 row replays the write of Task 1 (tasks.write_stored_batches) with the same "
        "PlcLink calls: handshake read, one write per slot, read-back of the write area, handshake "
        "write. Before it the agent also reads the write and read areas once each (to find a set "
        "the PLC already holds or runs after a crash), "
        f"{read_minimum_for_write_area(rmap) + read_minimum} more reads.",
        "Naive: one request per named field and one per silo id and per quantity of each "
        f"of the {rmap.max_components} component positions "
        f"({len(field_spans(rmap, 'read'))} reads / {len(field_spans(rmap, 'write'))} writes a slot).",
    ]
    if violations:
        notes.append(f"Simulator protocol violations seen: {violations[:3]}")
    targets = [
        Target(
            "full read requests = protocol minimum",
            f"{read_minimum} request(s)",
            f"{read_requests} request(s)",
            read_requests <= read_minimum,
            "equal" if read_requests == read_minimum else f"{read_requests - read_minimum:+d} request(s)",
        )
    ]
    return BenchResult(
        name="plc",
        title="1. PLC I/O: one full read / write of 10 slots against the simulator (Modbus TCP, loopback)",
        columns=columns,
        rows=rows,
        notes=notes,
        targets=targets,
        data={
            "read": {"requests": read_requests, "minimum": read_minimum, "words_spanned": read_span,
                     "words_needed": read_words_needed, "seconds": read_times,
                     "naive_requests": naive_read_requests, "naive_seconds": naive_read_times},
            "write": {"requests": write_requests, "minimum_spanned": write_minimum,
                      "words_spanned": write_span, "words": write_words, "seconds": write_times,
                      "naive_requests": naive_write_requests, "naive_seconds": naive_write_times},
            "task1_write_sequence": {"requests": task1_requests, "seconds": task1_times},
            "protocol_violations": violations,
        },
        seconds=time.monotonic() - started_run,
    )


def read_minimum_for_write_area(rmap: RegisterMap) -> int:
    """Fewest reads of the write area (the read-back): its spanned words / 125."""
    return math.ceil(words_spanned(rmap, "write") / MAX_READ_REGISTERS)


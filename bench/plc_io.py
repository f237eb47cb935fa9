"""Benchmark 1: PLC I/O against the simulator on loopback, over each link side by side:
Modbus TCP, Omron FINS/UDP and FINS/TCP.

Reads: one full read of all slots' read area as the agent does it (`read_read_area`,
coalesced requests of at most the link's words per request: 125 for Modbus, 999 for FINS,
decoding included) against the protocol minimum (the words the read area spans / the
link's limit) and, on Modbus, against a naive read of one request per field. Writes: the
10 batches of a set (a request per slot, two for a slot the write handshake word cuts);
the write handshake (read, then write); the whole write sequence of Task 1 (handshake, 10
slots, read-back, handshake).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from plc_agent.plc.fins.frames import FinsAddress
from plc_agent.plc.fins_link import FinsLink
from plc_agent.plc.link import PlcLink, PlcLinkBase
from plc_agent.plc.register_map import (
    ComponentDose,
    RegisterMap,
    SlotBatch,
    load_register_map,
)
from plc_agent.plc.simulator import PlcSimulator
from plc_agent.plc.simulator.fins_server import FinsPlcSimulator

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


LINKS = ("Modbus TCP", "FINS/UDP", "FINS/TCP")
FINS_PLC_NODE, FINS_AGENT_NODE = 10, 20


def _start(name: str, rmap: RegisterMap) -> tuple[PlcSimulator, PlcLinkBase]:
    """The simulator and the agent's link for one of LINKS, on loopback."""
    if name == "Modbus TCP":
        simulator = PlcSimulator(rmap, batch_seconds=3600.0, noise=0.0, seed=1)
        simulator.start("127.0.0.1", 0)
        return simulator, PlcLink(simulator.host, simulator.port, simulator.unit_id, rmap, timeout=3.0)
    transport = name.split("/")[1].lower()
    simulator = FinsPlcSimulator(rmap, transport=transport, node=FINS_PLC_NODE, batch_seconds=3600.0,
                                 noise=0.0, seed=1)
    simulator.start("127.0.0.1", 0)
    link = FinsLink(simulator.host, simulator.port, rmap, transport=transport,
                    destination=FinsAddress(0, FINS_PLC_NODE, 0), source=FinsAddress(0, FINS_AGENT_NODE, 0),
                    timeout=3.0)
    return simulator, link


def _plan(requests: list[tuple[int, int]]) -> str:
    return ", ".join(f"D{a}-D{a + n - 1}" for a, n in requests)


def _counted(link: PlcLinkBase, call: Callable[[], object]) -> int:
    before = link.request_count
    call()
    return link.request_count - before


def measure_link(name: str, rmap: RegisterMap, repeat: int, naive_repeat: int) -> dict[str, Any]:
    """Requests and times of one link: full read, a set's write, the handshake, Task 1's write
    sequence, and (``naive_repeat`` > 0) one request per field."""
    simulator, link = _start(name, rmap)
    figures: dict[str, Any] = {"link": name, "max_read_words": link.max_read_words,
                               "max_write_words": link.max_write_words}
    planned = link.register_map  # planned with the link's limits
    try:
        batches = [sample_batch(rmap, slot) for slot in range(1, rmap.slot_count + 1)]
        for slot, batch in enumerate(batches, start=1):
            simulator.set_registers(rmap.read_slot_address(slot), finished_read_words(rmap, batch))
        link.ping()  # the connection (FINS/TCP: its handshake) is opened outside the measurement
        served_before = getattr(simulator, "requests_served", None)

        def full_read() -> None:
            readings = link.read_read_area()
            assert all(r.status_manufacturing == 1 and not r.problems for r in readings), readings

        figures["read_requests"] = _counted(link, full_read)
        if served_before is not None:  # what reached the PLC, counted at the PLC
            figures["read_requests_at_plc"] = simulator.requests_served - served_before
        figures["read_plan"] = planned.read_area_requests()
        figures["read_seconds"] = time_calls(full_read, repeat)

        def write_set() -> None:
            for slot, batch in enumerate(batches, start=1):
                link.write_slot(slot, batch)

        figures["write_requests"] = _counted(link, write_set)
        figures["write_seconds"] = time_calls(write_set, repeat)
        assert link.read_write_area() == batches

        def handshake() -> None:
            # The handshake word as Task 1 uses it: read, then written (1 again, so that the
            # simulated PLC stays ready for the next repetition).
            assert link.read_write_handshake() == 1
            link.set_write_handshake(1)

        figures["handshake_requests"] = _counted(link, handshake)
        figures["handshake_seconds"] = time_calls(handshake, repeat)

        def task1_sequence() -> None:
            # Task 1's write when the PLC is ready: handshake, the set, read-back, handshake.
            assert link.read_write_handshake() == 1
            write_set()
            assert link.read_write_area() == batches
            link.set_write_handshake(1)

        figures["task1_requests"] = _counted(link, task1_sequence)
        figures["task1_seconds"] = time_calls(task1_sequence, max(20, repeat // 4))

        if naive_repeat:
            read_plan_fields = [
                (rmap.read_slot_address(slot) + offset, words)
                for slot in range(1, rmap.slot_count + 1)
                for offset, words in field_spans(rmap, "read")
            ]

            def naive_read() -> None:
                for address, count in read_plan_fields:
                    link.read_registers(address, count)

            figures["naive_read_requests"] = _counted(link, naive_read)
            figures["naive_read_seconds"] = time_calls(naive_read, naive_repeat)
            write_plan_fields = [
                (rmap.write_slot_address(slot) + offset, words, slot, offset)
                for slot in range(1, rmap.slot_count + 1)
                for offset, words in field_spans(rmap, "write")
            ]
            encoded = {slot: rmap.encode_slot(batch) for slot, batch in enumerate(batches, start=1)}

            def naive_write() -> None:
                for address, count, slot, offset in write_plan_fields:
                    link.write_registers(address, encoded[slot][offset:offset + count])

            figures["naive_write_requests"] = _counted(link, naive_write)
            figures["naive_write_seconds"] = time_calls(naive_write, naive_repeat)
            assert link.read_write_area() == batches
        figures["protocol_violations"] = list(simulator.line.protocol_violations)
        figures["stray_answers"] = getattr(link, "stray_answers", 0)
    finally:
        link.close()
        simulator.stop()
    return figures


def run(repeat: int = 200, naive_repeat: int = 20) -> BenchResult:
    """``python -m bench plc``: Modbus TCP, FINS/UDP and FINS/TCP side by side."""
    started_run = time.monotonic()
    rmap = load_register_map()
    measured = [measure_link(name, rmap, repeat, naive_repeat if name == "Modbus TCP" else 0) for name in LINKS]
    read_span = words_spanned(rmap, "read")
    write_span = words_spanned(rmap, "write")
    read_words_needed = rmap.read_extent * rmap.slot_count
    write_words = rmap.write_extent * rmap.slot_count

    columns = ["operation (10 slots)", "link", "requests", "protocol minimum", "median", "min", "max",
               "naive (1 request / field)", "naive median", "ratio naive / ours"]
    rows: list[list[str]] = []
    for op in ("read", "write", "handshake", "task1"):
        for m in measured:
            stats = Stats.of(m[f"{op}_seconds"])
            if op == "read":
                label = "full read of the read area (agent)"
                minimum = f"{math.ceil(read_span / m['max_read_words'])} ({read_span} words / {m['max_read_words']})"
            elif op == "write":
                label = "write 10 batches (agent)"
                minimum = (f"{math.ceil(write_span / m['max_write_words'])} "
                           f"({write_span} words / {m['max_write_words']})")
            elif op == "handshake":
                label = "write handshake D7076: read, then write"
                minimum = "2"
            else:
                label = "Task 1 write sequence (handshake, 10 slots, read-back, handshake)"
                readback = math.ceil(write_span / m["max_read_words"])
                minimum = f"{2 + rmap.slot_count + readback} (1 + {rmap.slot_count} + {readback} + 1)"
            naive = ["-", "-", "-"]
            if f"naive_{op}_requests" in m:
                naive_requests = m[f"naive_{op}_requests"]
                naive_median = Stats.of(m[f"naive_{op}_seconds"]).median
                naive = [f"{naive_requests} requests", fmt_ms(naive_median),
                         f"{fmt_ratio(naive_median / stats.median)} time, "
                         f"{fmt_ratio(naive_requests / m[f'{op}_requests'])} requests"]
            rows.append([label, m["link"], str(m[f"{op}_requests"]), minimum, fmt_ms(stats.median),
                         fmt_ms(stats.minimum), fmt_ms(stats.maximum), *naive])
    fins = [m for m in measured if m["link"].startswith("FINS")]
    modbus = measured[0]
    notes = [
        f"Default register map: {rmap.slot_count} slots, stride {rmap.slot_stride}; a read slot "
        f"uses {rmap.read_extent} words, a write slot {rmap.write_extent}. The agent reads the "
        f"gaps between slots along with them ({read_words_needed} words needed, "
        f"{read_span} spanned), because a request costs far more than the words it carries.",
        f"Words per request: Modbus reads {modbus['max_read_words']} and writes {modbus['max_write_words']} "
        f"(function 3 / 16); FINS memory area read (01 01) {fins[0]['max_read_words']} and write (01 02) "
        f"{fins[0]['max_write_words']}. Over FINS the read area is "
        + " and ".join(f"{m['link']}: {m['read_requests']} request ({_plan(m['read_plan'])}; "
                       f"{m.get('read_requests_at_plc', '-')} served by the PLC)" for m in fins)
        + f"; over Modbus {modbus['read_requests']} requests.",
        f"Writes cannot carry the gaps, nor the write handshake (word {rmap.write_handshake_address}), "
        "which must only change after the read-back: it lies after write slot 1's batch data and "
        f"before its batch number word, so slot 1 takes two requests on every link: "
        f"{modbus['write_requests']} requests write only the map's words "
        f"(or {math.ceil(write_words / modbus['max_write_words'])} Modbus requests from the {write_words} "
        "words alone, reachable only by overwriting the handshake).",
        f"Times: median of {repeat} repetitions ({max(20, repeat // 4)} for the Task 1 "
        f"sequence, {naive_repeat} for the naive ways), simulator in the same process (asyncio "
        "thread), loopback, one connection (FINS/TCP: with its node-address handshake) opened "
        "beforehand; reads include decoding the 10 slots. FINS/UDP: no datagram lost on loopback "
        f"(stray answers dropped: {', '.join(str(m['stray_answers']) for m in fins)}).",
        "The Task 1 row replays the write of Task 1 (tasks.write_stored_batches) with the same "
        "link calls: handshake read, one write per slot, read-back of the write area, handshake "
        "write. Before it the agent also reads the write and read areas once each (to find a set "
        "the PLC already holds or runs after a crash).",
        "Naive (Modbus only): one request per named field and one per silo id and per quantity of each "
        f"of the {rmap.max_components} component positions "
        f"({len(field_spans(rmap, 'read'))} reads / {len(field_spans(rmap, 'write'))} writes a slot).",
    ]
    violations = [v for m in measured for v in m["protocol_violations"]]
    if violations:
        notes.append(f"Simulator protocol violations seen: {violations[:3]}")
    targets = []
    for m in measured:
        minimum = math.ceil(read_span / m["max_read_words"])
        targets.append(Target(
            f"full read requests = protocol minimum ({m['link']})", f"{minimum} request(s)",
            f"{m['read_requests']} request(s)", m["read_requests"] <= minimum,
            "equal" if m["read_requests"] == minimum else f"{m['read_requests'] - minimum:+d} request(s)"))
    for m in fins:
        targets.append(Target(
            f"a full read of the shipped read area is one FINS request ({m['link']})", "1 request",
            f"{m['read_requests']} sent, {m.get('read_requests_at_plc')} served", m["read_requests"] == 1
            and m.get("read_requests_at_plc") == 1, "equal" if m["read_requests"] == 1 else "more"))
    return BenchResult(
        name="plc",
        title="1. PLC I/O: one full read / write of 10 slots against the simulator "
              "(Modbus TCP, FINS/UDP, FINS/TCP; loopback)",
        columns=columns,
        rows=rows,
        notes=notes,
        targets=targets,
        data={
            "words_spanned": {"read": read_span, "write": write_span},
            "links": {m["link"]: {k: v for k, v in m.items() if k != "link"} for m in measured},
            "protocol_violations": violations,
        },
        seconds=time.monotonic() - started_run,
    )

"""The old program's layout (docs/register-map.md, "The old program's layout (no word 77)"):
the shipped map without the batch number loads, and the simulator runs a set over it without
touching word 77 of any slot."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from plc_agent.cli import describe_register_map
from plc_agent.plc.link import PlcLink
from plc_agent.plc.register_map import RegisterMap, RegisterMapError, load_register_map
from plc_agent.plc.simulator import PlcSimulator

from ..helpers import default_doc, make_slot_batch, map_field, send_set, wait_for, write_map

OLD_PROGRAM_MAP = "old_program_register_map.toml"


@pytest.fixture
def register_map() -> RegisterMap:
    """The old program's map: the simulator and the link of this module use it."""
    with resources.as_file(resources.files("plc_agent.plc.register_map").joinpath(OLD_PROGRAM_MAP)) as path:
        return load_register_map(path)


def test_the_old_program_map_ends_at_offset_76(register_map: RegisterMap) -> None:
    assert not register_map.echoes_batch_number
    assert "batch_number" not in register_map.write_fields
    assert "batch_number" not in register_map.read_fields
    # Write slots: offsets 0-75 (76 is slot 1's write handshake); read slots: offsets 0-76.
    assert register_map.write_extent == 76
    assert register_map.read_extent == 77
    assert [(a, len(w)) for a, w in register_map.write_slot_requests(1, [0] * 76)] == [(7000, 76)]
    assert register_map.read_ack_address(3) == 6276
    # Everything else is the default map's.
    default = load_register_map()
    assert default.echoes_batch_number
    for name, spec in register_map.read_fields.items():
        assert default.read_fields[name] == spec
    assert register_map.components == default.components
    assert register_map.write_handshake_address == default.write_handshake_address


def test_a_batch_number_in_one_area_only_is_refused(tmp_path: Path) -> None:
    doc = default_doc()
    map_field(doc, "batch_number")["area"] = "write"
    with pytest.raises(RegisterMapError, match="'batch_number' must be in both areas .* or in neither"):
        load_register_map(write_map(tmp_path, doc))


def test_encoding_leaves_the_batch_number_out(register_map: RegisterMap) -> None:
    batch = make_slot_batch(2, 42)
    words = register_map.encode_slot(batch)
    assert len(words) == 76
    decoded = register_map.decode_write_slot(2, words)
    assert decoded is not None
    assert decoded.mo_reference == "WH/MO/00042" and decoded.batch_number == 0


def test_the_simulator_runs_a_set_without_touching_word_77(
    plc_link: PlcLink, plc_simulator: PlcSimulator
) -> None:
    # Whatever another program left in word 77 of a slot stays there: the old program has no
    # such word.
    for slot in (1, 2, 3):
        plc_simulator.set_registers(6000 + 100 * (slot - 1) + 77, [0x1234])
        plc_simulator.set_registers(7000 + 100 * (slot - 1) + 77, [0x4321])
    batches = {1: make_slot_batch(1, 11), 3: make_slot_batch(3, 13)}
    send_set(plc_link, batches)
    wait_for(lambda: len(plc_simulator.line.completed_batches) == 2)
    readings = plc_link.read_read_area()
    for slot, batch in batches.items():
        reading = readings[slot - 1]
        assert reading.batch_no == slot and reading.mo_reference == batch.mo_reference
        assert reading.status_manufacturing == 1 and reading.status_read_data == 0
        assert reading.batch_number == 0
        assert len(reading.words) == 77
    for slot in (1, 2, 3):
        assert plc_simulator.registers(6000 + 100 * (slot - 1) + 77, 1) == [0x1234]
        assert plc_simulator.registers(7000 + 100 * (slot - 1) + 77, 1) == [0x4321]
    assert plc_simulator.line.protocol_violations == []


def test_check_names_the_layout(register_map: RegisterMap) -> None:
    old = describe_register_map(register_map)
    assert "no batch number (the old program's layout)" in old[2]
    assert "batch slots of 76 words" in old[0] and "batch slots of 77 words" in old[1]
    default = describe_register_map(load_register_map())
    assert default[2].startswith("batch number: word 77 of each slot")


def test_register_map_file_names_a_packaged_map(make_settings, tmp_path: Path) -> None:
    """REGISTER_MAP_FILE=old-program: the plant on the old program needs no file of its own,
    and a file in the agent's home with that name does not hide the packaged map."""
    (tmp_path / "old-program").write_text("not a map", encoding="utf-8")
    settings = make_settings(REGISTER_MAP_FILE="old-program")
    old = load_register_map(settings.register_map_file)
    assert not old.echoes_batch_number and old.read_extent == 77
    assert load_register_map(make_settings(REGISTER_MAP_FILE="shipped").register_map_file).echoes_batch_number

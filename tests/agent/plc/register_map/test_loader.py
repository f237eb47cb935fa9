"""The register map's loader (``plc_agent.plc.register_map.loader``): the shipped map is the old
PLC program's layout, the report areas are optional, and a bad map is refused naming the entry.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from plc_agent.plc.register_map import (
    RegisterMap,
    RegisterMapError,
    load_register_map,
)

from ...helpers import default_doc, map_field, write_map


def test_default_map_is_the_old_layout(register_map: RegisterMap) -> None:
    assert register_map.slot_count == 10
    assert register_map.max_components == 15
    assert register_map.write_handshake_address == 7076
    assert register_map.max_read_registers == 125
    assert register_map.max_write_registers == 123
    assert [register_map.write_slot_address(s) for s in (1, 2, 10)] == [7000, 7100, 7900]
    assert [register_map.read_slot_address(s) for s in (1, 2, 10)] == [6000, 6100, 6900]
    assert register_map.read_ack_address(1) == 6076
    assert register_map.read_ack_address(10) == 6976
    assert register_map.field_address("write", 2, "planned_quantity") == 7125
    assert register_map.field_address("read", 1, "finished_weight") == 6074
    assert register_map.components.silo_at(14) == 27 + 3 * 14
    assert register_map.components.quantity_at(0) == 28
    assert register_map.field_address("write", 1, "batch_number") == 7077
    assert register_map.field_address("read", 10, "batch_number") == 6977
    # A slot's words are offsets 0..77; slot 1 is written around word 76, the handshake.
    assert len(register_map.encode_slot(None)) == 78
    assert [(a, len(w)) for a, w in register_map.write_slot_requests(1, [0] * 78)] == [(7000, 76), (7077, 1)]
    assert [(a, len(w)) for a, w in register_map.write_slot_requests(2, [0] * 78)] == [(7100, 78)]
    with pytest.raises(ValueError, match="slot 11 does not exist"):
        register_map.write_slot_address(11)
    with pytest.raises(ValueError, match="slot 0 does not exist"):
        register_map.read_ack_address(0)


def _mutate(doc: dict, change: str) -> None:
    if change == "overlap":
        map_field(doc, "bom_code")["offset"] = 5
    elif change == "overrun":
        map_field(doc, "status_read_data")["offset"] = 100
    elif change == "unknown_type":
        map_field(doc, "planned_quantity")["type"] = "real"
    elif change == "bad_word_order":
        map_field(doc, "finished_weight")["word_order"] = "middle"
    elif change == "components_overrun":
        doc["components"]["count"] = 25
    elif change == "components_overlap_field":
        doc["components"]["count"] = 16
    elif change == "handshake_inside":
        doc["handshakes"]["write"] = 7125
    elif change == "handshake_in_read_area":
        doc["handshakes"]["write"] = 6301
    elif change == "areas_overlap":
        doc["areas"]["read_start"] = 7500
    elif change == "stride_too_small":
        doc["areas"]["slot_stride"] = 60
    elif change == "unknown_field":
        doc["fields"].append({"name": "batch_colour", "offset": 80, "type": "uint16"})
    elif change == "missing_field":
        doc["fields"] = [f for f in doc["fields"] if f["name"] != "mo_reference"]
    elif change == "duplicate_field":
        doc["fields"].append({"name": "batch_no", "offset": 80, "type": "uint16"})
    elif change == "words_mismatch":
        map_field(doc, "finished_weight")["words"] = 1
    elif change == "text_as_number":
        map_field(doc, "mo_reference").update(type="uint16")
        del map_field(doc, "mo_reference")["length"]
    elif change == "bad_component_type":
        doc["components"]["silo_type"] = "ascii"
    elif change == "component_stride":
        doc["components"]["stride"] = 2
    elif change == "beyond_address_space":
        doc["areas"]["write_start"] = 65000
    elif change == "bad_area":
        map_field(doc, "status_read_data")["area"] = "elsewhere"
    elif change == "negative_offset":
        map_field(doc, "batch_no")["offset"] = -1
    elif change == "missing_areas":
        del doc["areas"]
    else:
        raise AssertionError(change)


BAD_MAPS = [
    ("overlap", r"\[fields #3 'bom_code'\] offsets 5\.\.12 overlap field 'mo_reference'"),
    ("overrun", r"\[fields #9 'status_read_data'\] offset 100 \+ 1 word\(s\) overruns the slot stride 100"),
    ("unknown_type", r"\[fields #5 'planned_quantity'\] unknown type 'real'"),
    ("bad_word_order", r"\[fields #8 'finished_weight'\] bad word_order 'middle'"),
    ("components_overrun", r"\[components\] 25 components from offset 27 end at 102, overrunning the slot stride 100"),
    ("components_overlap_field", r"overlap.*components|components.*overlap"),
    (
        "handshake_inside",
        r"\[handshakes\] write = 7125 lies inside write slot 2 \(offset 25, field 'planned_quantity'\)",
    ),
    ("handshake_in_read_area", r"\[handshakes\] write = 6301 lies inside read slot 4"),
    ("areas_overlap", r"\[areas\] write area 7000\.\.7977 overlaps read area 7500\.\.8477"),
    ("stride_too_small", r"overruns the slot stride 60"),
    ("unknown_field", r"\[fields #11 'batch_colour'\] unknown field name"),
    ("missing_field", r"\[fields\] field 'mo_reference' is missing from the write area"),
    ("duplicate_field", r"\[fields #11 'batch_no'\] field defined twice"),
    ("words_mismatch", r"\[fields #8 'finished_weight'\] 'words' = 1 but scaled_int32 takes 2"),
    ("text_as_number", r"\[fields #2 'mo_reference'\] mo_reference is text"),
    ("bad_component_type", r"\[components\] silo_type cannot be ascii"),
    ("component_stride", r"\[components\] one component needs 3 words, stride is 2"),
    ("beyond_address_space", r"\[areas\] write area ends at 65977"),
    ("bad_area", r"\[fields #9 'status_read_data'\] bad area 'elsewhere'"),
    ("negative_offset", r"\[fields #1 'batch_no'\] 'offset' must be >= 0"),
    ("missing_areas", r"\[areas\] table is missing"),
]


@pytest.mark.parametrize(("change", "message"), BAD_MAPS, ids=[c for c, _ in BAD_MAPS])
def test_bad_maps_are_refused_naming_the_entry(tmp_path: Path, change: str, message: str) -> None:
    doc = default_doc()
    _mutate(doc, change)
    path = write_map(tmp_path, doc)
    with pytest.raises(RegisterMapError, match=message) as info:
        load_register_map(path)
    assert str(path) in str(info.value)


def test_unreadable_and_invalid_files_are_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(RegisterMapError, match="nope.toml: cannot read the register map"):
        load_register_map(missing)
    broken = tmp_path / "broken.toml"
    broken.write_text("[areas\nslot_count = ", "utf-8")
    with pytest.raises(RegisterMapError, match="broken.toml: not valid TOML"):
        load_register_map(broken)


def test_default_map_has_both_areas_at_the_old_words():
    rmap = load_register_map()
    failures, weighing = rmap.failure_area, rmap.weighing_area
    assert (failures.start, failures.extent, failures.handshake_address) == (8000, 23, 8022)
    assert (weighing.start, weighing.extent, weighing.handshake_address) == (9000, 14, 9013)
    assert {n: failures.field_address(n) for n in ("equipment", "info", "year", "second")} == {
        "equipment": 8000, "info": 8008, "year": 8016, "second": 8021}
    assert {n: weighing.field_address(n) for n in ("mo_reference", "product_id", "quantity")} == {
        "mo_reference": 9001, "product_id": 9009, "quantity": 9011}


def test_areas_are_optional(tmp_path: Path):
    doc = default_doc()
    del doc["failures"], doc["manual_weighing"]
    rmap = load_register_map(write_map(tmp_path, doc))
    assert rmap.failure_area is None and rmap.weighing_area is None


@pytest.mark.parametrize("change, message", [
    (lambda d: d["failures"].update(start=6050), "[failures] words 6050..6072 overlap the read area"),
    (lambda d: d["manual_weighing"].update(start=8010), "[manual_weighing] words 8010..8023 overlap the failures area"),
    (lambda d: d["failures"]["fields"].pop(), "[failures] fields missing: status_read_data"),
    (lambda d: d["failures"]["fields"][2].update(type="ascii", length=2), "year needs a type among bcd16"),
    (lambda d: d["manual_weighing"]["fields"][3].update(offset=10), "overlaps field 'product_id'"),
    (lambda d: d["manual_weighing"]["fields"].append({"name": "tare", "offset": 20, "type": "uint16"}),
     "unknown field; the manual_weighing area has: batch_number"),
    (lambda d: d["manual_weighing"].update(start=65530), "beyond register 65535"),
    (lambda d: d["fields"][0].update(type="bcd16"), "bcd16 is for the failure area's date and time words"),
])
def test_bad_area_sections_are_refused_naming_the_entry(tmp_path: Path, change, message):
    doc = default_doc()
    change(doc)
    with pytest.raises(RegisterMapError) as caught:
        load_register_map(write_map(tmp_path, doc))
    assert message in str(caught.value)

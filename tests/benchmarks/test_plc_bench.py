"""The ``plc`` benchmark measures the three links side by side; a few repetitions only here."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench import plc_io  # noqa: E402


def test_the_links_side_by_side_and_the_read_area_in_one_fins_request():
    result = plc_io.run(repeat=2, naive_repeat=1)
    links = result.data["links"]
    assert list(links) == ["Modbus TCP", "FINS/UDP", "FINS/TCP"]
    assert links["Modbus TCP"]["read_requests"] == 8  # 978 words / 125
    for name in ("FINS/UDP", "FINS/TCP"):
        fins = links[name]
        # One request sent, one served by the PLC: every slot from one moment.
        assert (fins["read_requests"], fins["read_requests_at_plc"]) == (1, 1), name
        assert fins["read_plan"] == [(6000, 978)]
        assert fins["handshake_requests"] == 2
        assert fins["write_requests"] == links["Modbus TCP"]["write_requests"] == 11
    assert all(target.met for target in result.targets), [t.line() for t in result.targets]
    assert {row[1] for row in result.rows} == {"Modbus TCP", "FINS/UDP", "FINS/TCP"}
    assert result.data["protocol_violations"] == []

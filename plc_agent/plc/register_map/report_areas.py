"""The PLC's two report areas: equipment failures and manual weighings.

Each area holds one report at a time, in words from ``start``, and one handshake word
(``status_read_data``): the PLC writes a report with the handshake at 0, the agent sets 1
once it has stored the report, the PLC writes the next report and resets the handshake to
0. The agent reads an area in one request, so the report and its handshake come from the
same moment.

A :class:`ReportArea` decodes the area's words into an :class:`AreaReading`: every field's
value, the raw words, and what is wrong with them. A bad word is one that is no value of its
type (text that is not printable ASCII, a BCD nibble above 9, a float NaN or infinite) or a
value its field cannot hold (:data:`FIELD_LIMITS`); a word pattern alone (0xFFFF) never is.
A bad word never raises: the reading says why, and the task stores it as such and
acknowledges it so the area moves on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .codecs import ValueType, hex_words

HANDSHAKE_FIELD = "status_read_data"

# Per area: each field's name and the kinds of value type it may have.
FAILURE_FIELDS = {
    "equipment": "text",
    "info": "text",
    "year": "clock",
    "month": "clock",
    "day": "clock",
    "hour": "clock",
    "minute": "clock",
    "second": "clock",
    HANDSHAKE_FIELD: "integer",
}
WEIGHING_FIELDS = {
    "batch_number": "integer",
    "mo_reference": "text",
    "product_id": "integer",
    "quantity": "number",
    HANDSHAKE_FIELD: "integer",
}
AREA_FIELDS = {"failures": FAILURE_FIELDS, "manual_weighing": WEIGHING_FIELDS}

# The values a numeric field can hold, per area and field (None: no bound). A value outside
# is a bad word; inside, every value is good, whatever its words look like: the batch
# number 65535 (0xFFFF), the product template 65535 (0x0000 0xFFFF) and 655.35 kg
# (0x0000 0xFFFF) are values the plant produces. The clock fields have none here: together
# they must be a date and time, which the failure row judges.
ODOO_MAX_ID = 2_147_483_647  # Odoo's record ids are PostgreSQL integers
FIELD_LIMITS: dict[tuple[str, str], tuple[float | None, float | None]] = {
    ("manual_weighing", "batch_number"): (0, 65535),
    ("manual_weighing", "product_id"): (0, ODOO_MAX_ID),
    ("manual_weighing", "quantity"): (0, None),
}


@dataclass(frozen=True)
class AreaField:
    name: str
    offset: int
    type: ValueType

    @property
    def end(self) -> int:
        return self.offset + self.type.words


@dataclass(frozen=True)
class AreaReading:
    """One read of a report area.

    ``values`` holds each field's decoded value (None where its words are bad; text with
    each byte that is not printable ASCII shown as ``?``); ``raw_words`` the report's words
    without the handshake; ``problems`` one line per bad field, naming its raw words.
    """

    values: dict[str, Any]
    raw_words: tuple[int, ...]
    handshake: int
    problems: tuple[str, ...]

    @property
    def waiting(self) -> bool:
        """A report the agent has not acknowledged yet (the handshake is 0, words not all 0)."""
        return self.handshake == 0 and any(self.raw_words)


@dataclass(frozen=True)
class ReportArea:
    """Where one report area lies and how its words decode."""

    name: str  # "failures" or "manual_weighing"
    start: int
    fields: dict[str, AreaField]

    @property
    def extent(self) -> int:
        return max(f.end for f in self.fields.values())

    @property
    def handshake_address(self) -> int:
        return self.start + self.fields[HANDSHAKE_FIELD].offset

    def field_address(self, name: str) -> int:
        return self.start + self.fields[name].offset

    def decode(self, words: list[int]) -> AreaReading:
        if len(words) < self.extent:
            raise ValueError(f"{self.name} area: {len(words)} words given, the map needs {self.extent}")
        handshake_spec = self.fields[HANDSHAKE_FIELD]
        values: dict[str, Any] = {}
        problems: list[str] = []
        raw: list[int] = []
        for spec in sorted(self.fields.values(), key=lambda f: f.offset):
            part = list(words[spec.offset : spec.end])
            if spec.name == HANDSHAKE_FIELD:
                continue
            raw.extend(part)
            why = spec.type.unreadable(part)
            if spec.type.is_text:
                value = _printable(spec.type.decode(part))
            else:
                value = None if why else spec.type.decode(part)
                if value is not None:
                    why = _outside_limits(FIELD_LIMITS.get((self.name, spec.name)), value)
                    value = None if why else value
            if why:
                problems.append(f"{self.name} {spec.name} (word {self.start + spec.offset}): "
                                f"raw {hex_words(part)}: {why}")
            values[spec.name] = value
        handshake = handshake_spec.type.decode(
            list(words[handshake_spec.offset : handshake_spec.end]))
        return AreaReading(values=values, raw_words=tuple(raw), handshake=handshake,
                           problems=tuple(problems))

    def encode(self, values: dict[str, Any], handshake: int = 0) -> list[int]:
        """The area's words for ``values`` (for the simulator and tests); ValueError if one does not fit."""
        words = [0] * self.extent
        for spec in self.fields.values():
            value = handshake if spec.name == HANDSHAKE_FIELD else values[spec.name]
            words[spec.offset : spec.end] = spec.type.encode(value, f"{self.name} {spec.name}")
        return words


def _outside_limits(limits: tuple[float | None, float | None] | None, value: Any) -> str | None:
    if limits is None:
        return None
    low, high = limits
    if low is not None and value < low:
        return f"{value!r} is below {low}" if low else f"negative value {value!r}"
    if high is not None and value > high:
        return f"{value!r} is above {high}"
    return None


def _printable(text: str) -> str:
    return "".join(c if 0x20 <= ord(c) <= 0x7E else "?" for c in text)

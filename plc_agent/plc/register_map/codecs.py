"""Value types: how one value sits in 16-bit words, and the plant's rules on top of packing.

pymodbus packs and unpacks the raw numbers (16/32-bit integers, float32, word order). This
module adds what the line needs: scaled decimals (``scaled_*``: the value times ``scale``,
rounded), ranges checked before anything is written, fixed-width ASCII that refuses (strict)
or transliterates and cuts (lenient) what does not fit, and the words that cannot be a real
measurement (0xFFFF sentinels, the extremes of signed types, negative values, non-finite
floats, BCD words with a nibble above 9). Model: telegraf's ``plugins/inputs/modbus/type_conversions*.go``.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any

from pymodbus.client.mixin import ModbusClientMixin

NUMERIC_TYPES = (
    "uint16",
    "int16",
    "uint32",
    "int32",
    "float32",
    "scaled_uint16",
    "scaled_int16",
    "scaled_uint32",
    "scaled_int32",
    "bcd16",
)
INTEGER_TYPES = ("uint16", "int16", "uint32", "int32")
# Binary-coded decimal: four decimal digits in one word, a nibble each (2026 = 0x2026), as
# PLC clocks keep their date and time.
BCD_TYPES = ("bcd16",)
BCD_MAX = 9999
TEXT_TYPES = ("ascii",)
ALL_TYPES = NUMERIC_TYPES + TEXT_TYPES
WORD_ORDERS = ("big", "little")

_DATATYPE = ModbusClientMixin.DATATYPE
_RAW_TYPES = {
    "uint16": _DATATYPE.UINT16,
    "int16": _DATATYPE.INT16,
    "uint32": _DATATYPE.UINT32,
    "int32": _DATATYPE.INT32,
    "float32": _DATATYPE.FLOAT32,
}
_INT_RANGES = {
    "uint16": (0, 0xFFFF),
    "int16": (-0x8000, 0x7FFF),
    "uint32": (0, 0xFFFFFFFF),
    "int32": (-0x80000000, 0x7FFFFFFF),
}


class RegisterMapError(ValueError):
    """A register map entry is wrong, or a value does not fit the map."""


@dataclass(frozen=True)
class ValueType:
    """How one value sits in 16-bit words."""

    name: str
    word_order: str = "big"
    scale: float = 1.0
    length: int = 0  # characters, ascii only
    strict: bool = True  # ascii only: refuse instead of transliterating/cutting

    @property
    def words(self) -> int:
        if self.name == "ascii":
            return (self.length + 1) // 2
        if self.name.endswith("32"):
            return 2
        return 1

    @property
    def is_text(self) -> bool:
        return self.name == "ascii"

    @property
    def _int_name(self) -> str:
        return self.name.removeprefix("scaled_")

    def _int_range(self) -> tuple[int, int]:
        return _INT_RANGES[self._int_name]

    def _pack(self, raw: int | float) -> list[int]:
        return ModbusClientMixin.convert_to_registers(
            raw, _RAW_TYPES[self._int_name], word_order=self.word_order  # type: ignore[arg-type]
        )

    def _unpack(self, words: list[int]) -> Any:
        return ModbusClientMixin.convert_from_registers(
            words, _RAW_TYPES[self._int_name], word_order=self.word_order  # type: ignore[arg-type]
        )

    def encode(self, value: Any, what: str) -> list[int]:
        """Words for `value`; ValueError naming `what` if it does not fit."""
        if self.is_text:
            return self._encode_text(value, what)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{what}: {value!r} is not a number")
        if not math.isfinite(value):
            raise ValueError(f"{what}: {value!r} is not a finite number")
        if self.name in BCD_TYPES:
            return [_encode_bcd(value, what)]
        if self.name == "float32":
            return self._pack(float(value))
        if self.name.startswith("scaled_"):
            raw = round(value * self.scale)
        else:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(f"{what}: {value!r} is not a whole number ({self.name})")
            raw = int(value)
        low, high = self._int_range()
        if not low <= raw <= high:
            raise ValueError(
                f"{what}: {value!r} does not fit {self.name}"
                + (f" (x {self.scale:g})" if self.name.startswith("scaled_") else "")
                + f", range {low}..{high}"
            )
        return self._pack(raw)

    def _encode_text(self, value: Any, what: str) -> list[int]:
        if not isinstance(value, str):
            raise ValueError(f"{what}: {value!r} is not text")
        text = value
        if not text.isascii() or any(not 0x20 <= ord(c) <= 0x7E for c in text):
            if self.strict:
                raise ValueError(f"{what}: {value!r} contains characters that are not printable ASCII")
            text = _to_ascii(text)
        if len(text) > self.length:
            if self.strict:
                raise ValueError(f"{what}: {value!r} is longer than {self.length} characters")
            text = text[: self.length]
        data = text.encode("ascii").ljust(self.words * 2, b"\0")
        return [(data[i] << 8) | data[i + 1] for i in range(0, len(data), 2)]

    def raw(self, words: list[int]) -> int:
        """The integer on the wire (signed for int types), before scaling."""
        if self.name in BCD_TYPES:
            return words[0]
        return self._unpack(words)

    def decode(self, words: list[int]) -> Any:
        """The value; for BCD None when a nibble is not a decimal digit (see implausible)."""
        if self.name in BCD_TYPES:
            return _decode_bcd(words[0])
        if self.is_text:
            return _text_bytes(words, self.length).decode("latin-1").rstrip(" ")
        if self.name == "float32":
            return self._unpack(words)
        raw = self.raw(words)
        if self.name.startswith("scaled_"):
            return raw / self.scale
        return raw

    def unreadable(self, words: list[int]) -> str | None:
        """Why the raw words are no value of this type at all, or None.

        Text with bytes that are not printable ASCII, a BCD word with a nibble above 9, a
        float that is NaN or infinite. Every integer pattern is a value of its type: 0xFFFF
        is 65535 in a uint16 and 655.35 in a ``scaled_int32`` x 100 (``0x0000 0xFFFF``).
        """
        if self.is_text:
            if any(not 0x20 <= b <= 0x7E for b in _text_bytes(words, self.length)):
                return "text contains bytes that are not printable ASCII"
            return None
        if self.name in BCD_TYPES:
            if _decode_bcd(words[0]) is None:
                return f"0x{words[0]:04X} is not BCD (a digit above 9)"
            return None
        if self.name == "float32":
            value = self.decode(words)
            if not math.isfinite(value):
                return f"{value} is not a finite number"
        return None

    def implausible(self, words: list[int]) -> str | None:
        """Why the raw words cannot be a real measurement, or None.

        Stricter than :meth:`unreadable`: it also flags words that are values but look like
        an uninitialised word (a 0xFFFF word, the extremes of a signed type) and negative
        values. Only for a batch's actuals, which are then reported *suspect* for a person,
        never refused.
        """
        if self.is_text:
            if any(not 0x20 <= b <= 0x7E for b in _text_bytes(words, self.length)):
                return "text contains bytes that are not printable ASCII"
            return None
        if any(w == 0xFFFF for w in words):
            return "0xFFFF sentinel word"
        if self.name in BCD_TYPES:
            if _decode_bcd(words[0]) is None:
                return f"0x{words[0]:04X} is not BCD (a digit above 9)"
            return None
        if self.name == "float32":
            value = self.decode(words)
            if not math.isfinite(value):
                return f"{value} is not a finite number"
            if value < 0:
                return f"negative value {value}"
            return None
        raw = self.raw(words)
        if self._int_name in ("int16", "int32"):
            low, high = self._int_range()
            if raw in (low, high):
                return f"0x{raw & (0xFFFF if self.words == 1 else 0xFFFFFFFF):X} sentinel value"
        if raw < 0:
            return f"negative value {self.decode(words)}"
        return None


def _encode_bcd(value: int | float, what: str) -> int:
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"{what}: {value!r} is not a whole number (bcd16)")
    number = int(value)
    if not 0 <= number <= BCD_MAX:
        raise ValueError(f"{what}: {value!r} does not fit bcd16, range 0..{BCD_MAX}")
    return int(f"{number:04d}", 16)


def _decode_bcd(word: int) -> int | None:
    digits = f"{word:04X}"
    return int(digits) if digits.isdigit() else None


def _text_bytes(words: list[int], length: int) -> bytes:
    """The field's bytes up to its first NUL (the PLC pads text with NULs)."""
    data = b"".join(w.to_bytes(2, "big") for w in words)[:length]
    return data.split(b"\0", 1)[0]


def _to_ascii(text: str) -> str:
    # Accented letters keep their base letter ("Pâtée" -> "Patee"); anything else becomes "?".
    decomposed = unicodedata.normalize("NFKD", text)
    out = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        out.append(char if 0x20 <= ord(char) <= 0x7E else "?")
    return "".join(out)


def hex_words(words: list[int]) -> str:
    return "[" + ", ".join(f"0x{w:04X}" for w in words) + "]"

"""How a JSON value is written: its JSON type, canonical text, stable hash, encoding and shape.

These small pure functions are shared by the profiler, the contract checker and the detectors.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache

import orjson

JSON_TYPES: tuple[str, ...] = ("integer", "number", "string", "boolean", "object", "array")

ISO_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMERIC = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_LETTERS = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"\d+")
_DIGIT_START = re.compile(r"[+\-.\d]")

# Epoch encodings by magnitude: values between 2001-09 and 2096 in each unit.
EPOCH_RANGES: tuple[tuple[str, float, float], ...] = (
    ("epoch_seconds", 1e9, 4e9),
    ("epoch_millis", 1e12, 4e12),
    ("epoch_micros", 1e15, 4e15),
)
_EPOCH_DIVISOR = {"epoch_seconds": 1.0, "epoch_millis": 1e3, "epoch_micros": 1e6}


def json_type(value: object) -> str:
    """The JSON type of a decoded value; integral floats are integers, as in JSON Schema.

    >>> [json_type(v) for v in (1, 2.0, 2.5, "x", True, None, {}, [])]
    ['integer', 'integer', 'number', 'string', 'boolean', 'null', 'object', 'array']
    """
    kind = type(value)
    if kind is float:
        return "integer" if value.is_integer() else "number"  # type: ignore[attr-defined]
    return _TYPE_NAMES.get(kind, "string" if isinstance(value, str) else "object")


_TYPE_NAMES: dict[type, str] = {
    int: "integer",
    str: "string",
    bool: "boolean",
    type(None): "null",
    dict: "object",
    list: "array",
}


def canonical(value: object) -> str:
    """Type-agnostic text of a value, so 7, 7.0 and "7" compare equal across fields.

    >>> canonical(7), canonical(7.0), canonical("7"), canonical(True), canonical([1, "a"])
    ('7', '7', '7', 'true', '[1,"a"]')
    """
    kind = type(value)
    if kind is str:
        return value  # type: ignore[return-value]
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        number: float = value  # type: ignore[assignment]
        return str(int(number)) if number.is_integer() and abs(number) < 1e16 else repr(number)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def value_hash(text: str) -> int:
    """A stable 32-bit hash of canonical text (same in every process, unlike `hash`).

    >>> value_hash("a") == value_hash("a") and value_hash("a") != value_hash("b")
    True
    """
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def value_hashes(texts: Iterable[str]) -> set[int]:
    """The stable hashes of many canonical texts at once.

    >>> value_hashes(["a", "b"]) == {value_hash("a"), value_hash("b")}
    True
    """
    items = list(texts)
    try:
        return set(map(zlib.crc32, map(str.encode, items)))
    except UnicodeEncodeError:  # lone surrogates, only possible in dicts passed in directly
        return set(map(value_hash, items))


def string_encoding(text: str) -> str:
    """What a string holds: iso_timestamp, iso_date, numeric_string or text.

    >>> [string_encoding(s) for s in ("2026-01-01T10:00:00Z", "2026-01-01", "12.50", "placed")]
    ['iso_timestamp', 'iso_date', 'numeric_string', 'text']
    """
    if ISO_TIMESTAMP.match(text):
        return "iso_timestamp"
    if ISO_DATE.match(text):
        return "iso_date"
    if _NUMERIC.match(text):
        return "numeric_string"
    return "text"


def all_match(pattern: re.Pattern[str], texts: list[str]) -> bool:
    """Whether every text matches an anchored (^...$) pattern, by one regex pass over them all.

    >>> all_match(ISO_DATE, ["2026-01-01", "2026-01-02"]), all_match(ISO_DATE, ["2026-01-01", "x"])
    (True, False)
    """
    joined = "\n".join(texts)
    if not texts or joined.count("\n") != len(texts) - 1:  # a newline inside: one by one
        return all(map(pattern.match, texts))
    return _lines_of(pattern).fullmatch(joined) is not None


@lru_cache(maxsize=16)
def _lines_of(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """Newline-separated texts each matching `pattern` (its ^ and $ dropped; no part of the
    patterns used here matches a newline, so a match never spans two texts)."""
    body = pattern.pattern.removeprefix("^").removesuffix("$")
    return re.compile(f"(?:{body}\n)*{body}", pattern.flags)


def string_encodings(texts: list[str]) -> list[str]:
    """string_encoding of many strings, the commonest patterns matched by C-level passes.

    >>> string_encodings(["2026-01-01T10:00:00Z", "12", "x"])
    ['iso_timestamp', 'numeric_string', 'text']
    """
    found = list(map(ISO_TIMESTAMP.match, texts))
    if all(found):
        return ["iso_timestamp"] * len(texts)
    if not any(found) and not any(map(_DIGIT_START.match, texts)):
        return ["text"] * len(texts)  # iso dates and numbers start with a digit, a sign or a dot
    return [string_encoding(t) for t in texts]


def number_encoding(number: float) -> str | None:
    """The epoch unit a number looks like (by magnitude), or None.

    >>> number_encoding(1767261600), number_encoding(1767261600000), number_encoding(1250)
    ('epoch_seconds', 'epoch_millis', None)
    """
    for name, low, high in EPOCH_RANGES:
        if low <= number < high:
            return name
    return None


def shape(text: str) -> str:
    """A coarse pattern of a string: letter runs become 'a', digit runs '9'.

    >>> shape("o-1042"), shape("Ada Lovelace"), shape("ada@example.com")
    ('a-9', 'a a', 'a@a.a')
    """
    return _DIGITS.sub("9", _LETTERS.sub("a", text))[:24]


def shapes(texts: list[str]) -> list[str]:
    """shape of many strings, by two regex passes over them all joined by a NUL.

    >>> shapes(["o-1042", "Ada Lovelace"])
    ['a-9', 'a a']
    """
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1 or not texts:  # a NUL inside: one by one
        return list(map(shape, texts))
    return [text[:24] for text in _DIGITS.sub("9", _LETTERS.sub("a", joined)).split("\x00")]


def epoch_seconds(value: object) -> float | None:
    """Seconds since the epoch for an ISO string or an epoch number in s/ms/us, else None.

    >>> epoch_seconds("2026-01-01T00:00:00Z"), epoch_seconds(1767225600000)
    (1767225600.0, 1767225600.0)
    """
    if type(value) is str:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    if type(value) in (int, float):
        encoding = number_encoding(value)  # type: ignore[arg-type]
        if encoding is not None:
            return float(value) / _EPOCH_DIVISOR[encoding]  # type: ignore[arg-type]
    return None

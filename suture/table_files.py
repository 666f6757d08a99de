"""Read a table file (CSV, JSON lines or Parquet) into one value summary per column.

CSV cells are read as text (numbers are recognised when summarised, so a column keeps one kind
however its first rows look); nested JSON objects and Parquet structs become dotted columns.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import orjson

from core.errors import ConfigError
from tools.matching.value_evidence import ColumnValues, summarize, summarize_counts
from tools.profiling.profile_batch import flatten

SUFFIXES = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}


def read_columns(path: Path, file_format: str = "auto") -> list[ColumnValues]:
    """The columns of a table file, in file order; `file_format` is csv, jsonl, parquet or auto."""
    kind = file_format if file_format != "auto" else _guess(path)
    if not path.is_file():
        raise ConfigError(f"{str(path)!r} is not a file; pass a CSV, JSON lines or Parquet table")
    readers = {"csv": _csv, "jsonl": _jsonl, "parquet": _parquet}
    if kind not in readers:
        raise ConfigError(f"unknown table format {kind!r}; use csv, jsonl or parquet")
    return readers[kind](path)


def _guess(path: Path) -> str:
    if path.suffix.lower() in (".parquet", ".pq"):
        return "parquet"
    if path.suffix.lower() in SUFFIXES:
        return SUFFIXES[path.suffix.lower()]
    raise ConfigError(f"cannot tell the format of {str(path)!r}; pass --format csv|jsonl|parquet")


def _csv(path: Path) -> list[ColumnValues]:
    import pyarrow as pa
    from pyarrow import ArrowInvalid
    from pyarrow import csv as pa_csv

    try:
        with path.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {str(path)!r}: {error}") from error
    if not header:
        raise ConfigError(f"{str(path)!r} has no header line")
    names = _unique(header)
    options = pa_csv.ConvertOptions(
        column_types={name: pa.string() for name in names}, strings_can_be_null=True
    )
    parse = pa_csv.ParseOptions(delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=parse,
            convert_options=options,
        )
    except ArrowInvalid as error:
        raise ConfigError(f"{str(path)!r} is not a well-formed CSV file: {error}") from error
    return [_arrow_column(name, table.column(i)) for i, name in enumerate(names)]


def _unique(header: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    names = []
    for name in header:
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name}.{seen[name]}")
    return names


def _arrow_column(name: str, column: object) -> ColumnValues:
    import pyarrow as pa
    import pyarrow.compute as pc

    assert isinstance(column, pa.ChunkedArray)
    if pa.types.is_nested(column.type):
        return summarize(name, (str(v) for v in column.to_pylist() if v is not None))
    counted = pc.value_counts(column)
    values = counted.field("values").to_pylist()
    counts = counted.field("counts").to_pylist()
    return summarize_counts(name, dict(zip(values, counts, strict=True)))


def _jsonl(path: Path) -> list[ColumnValues]:
    columns: dict[str, list[object]] = {}
    try:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    event = orjson.loads(line)
                except orjson.JSONDecodeError as error:
                    raise ConfigError(f"{path}:{number}: not JSON ({error})") from error
                if not isinstance(event, dict):
                    raise ConfigError(f"{path}:{number}: a line must hold one JSON object")
                for key, value in flatten(event).items():
                    columns.setdefault(key, []).append(value)
    except OSError as error:
        raise ConfigError(f"cannot read {str(path)!r}: {error}") from error
    return [
        summarize(name, (orjson.dumps(v).decode() if isinstance(v, list) else v for v in found))
        for name, found in columns.items()
    ]


def _parquet(path: Path) -> list[ColumnValues]:
    from pyarrow import ArrowException
    from pyarrow import parquet as pq

    try:
        table = pq.read_table(path)
    except (ArrowException, OSError) as error:
        raise ConfigError(f"{str(path)!r} is not a readable Parquet file: {error}") from error
    while any(str(field.type).startswith("struct") for field in table.schema):
        table = table.flatten()
    return [_arrow_column(name, table.column(i)) for i, name in enumerate(table.column_names)]

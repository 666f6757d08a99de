"""`suture match OLD NEW [--json]`: which columns of NEW carry the columns of OLD, and why."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `match` sub-command."""
    parser = subparsers.add_parser(
        "match",
        help="match the columns of two tables (CSV, JSON lines or Parquet)",
        description=__doc__,
    )
    parser.add_argument("old", type=Path, help="the old table (CSV, JSON lines or Parquet)")
    parser.add_argument("new", type=Path, help="the new table")
    parser.add_argument(
        "--format",
        choices=("auto", "csv", "jsonl", "parquet"),
        default="auto",
        help="file format of both tables (auto: from the file name)",
    )
    parser.add_argument("--json", action="store_true", help="print the correspondences as JSON")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from suture.table_files import read_columns
    from tools.matching.table_matching import match_tables

    found = match_tables(read_columns(args.old, args.format), read_columns(args.new, args.format))
    if args.json:
        print(found.model_dump_json(indent=2))
        return 0
    for item in found.correspondences:
        targets = " | ".join(item.targets)
        margin = f", margin {item.margin:.2f}" if item.margin is not None else ""
        print(f"{item.source} -> {targets}  [{item.status}, score {item.score:.2f}{margin}]")
        print(f"    {'; '.join(item.evidence)}")
    if found.unmatched_source:
        print(f"no successor: {', '.join(found.unmatched_source)}")
    if found.unmatched_target:
        print(f"new, unmatched: {', '.join(found.unmatched_target)}")
    return 0

"""`suture bench [--events N] [--trials N] [--json FILE]`: how fast the monitors listen."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.config import load_settings
from core.errors import ConfigError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `bench` sub-command."""
    parser = subparsers.add_parser(
        "bench",
        help="measure checking/profiling throughput and drift-alert latency",
        description=__doc__,
    )
    parser.add_argument("--events", type=int, default=100_000, help="events for throughput")
    parser.add_argument("--batch", type=int, default=1_000, help="micro-batch size")
    parser.add_argument("--trials", type=int, default=30, help="latency trials (0: skip)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--config", type=Path, help="a suture.yaml (its kafka.bootstrap is used)")
    parser.add_argument(
        "--matching",
        type=Path,
        metavar="DIR",
        help="instead: match the schema-matching pairs under DIR (P/R/F1 per pair, s per pair)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    if args.matching is not None:
        return _run_matching(args)
    from suture.bench import run_bench

    if args.events < 1 or args.batch < 1 or args.trials < 0:
        raise ConfigError("--events and --batch must be at least 1, --trials at least 0")
    settings = load_settings(args.config)
    report = run_bench(
        args.events, batch=args.batch, trials=args.trials, bootstrap=settings.kafka.bootstrap
    )
    print(report.table())
    _write(args.json, report.model_dump_json(indent=2))
    return 0


def _run_matching(args: argparse.Namespace) -> int:
    from suture.matching_bench import run_matching_bench

    report = run_matching_bench(args.matching)
    print(report.table())
    _write(args.json, report.model_dump_json(indent=2))
    return 0


def _write(path: Path | None, text: str) -> None:
    if path is None:
        return
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot write {str(path)!r}: {error}") from error

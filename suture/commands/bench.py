"""`suture bench [monitors|lineage|startup|burst|broker]`: how fast the monitors listen, how exact
and fast lineage is, how fast the command line starts, how many alerts `suture up` handles, what
the embedded broker's storage costs."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import ConfigError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `bench` sub-command."""
    parser = subparsers.add_parser(
        "bench",
        help="measure monitor throughput and latency, lineage exactness, CLI start-up",
        description=__doc__,
    )
    parser.add_argument(
        "what",
        nargs="?",
        choices=("monitors", "lineage", "startup", "burst", "broker"),
        default="monitors",
        help="monitors (default): throughput and drift-alert latency; lineage: the conformance "
        "corpus per class; startup: wall time of CLI commands; burst: alerts/s of `suture up` "
        "replicas; broker: records/s of the embedded broker in memory and on disk",
    )
    parser.add_argument("--events", type=int, default=100_000, help="events for throughput")
    parser.add_argument("--batch", type=int, default=1_000, help="micro-batch size")
    parser.add_argument("--trials", type=int, default=30, help="latency trials (0: skip)")
    parser.add_argument("--runs", type=int, default=10, help="startup: runs per command")
    parser.add_argument("--corpus", type=Path, help="lineage: a corpus directory")
    parser.add_argument("--failures", action="store_true", help="lineage: list inexact cases")
    parser.add_argument("--alerts", type=int, default=2_000, help="burst: alerts to send")
    parser.add_argument("--datasets", type=int, default=500, help="burst: topics they are about")
    parser.add_argument("--replicas", type=int, default=1, help="burst: suture up processes")
    parser.add_argument(
        "--broker-storage",
        choices=("disk", "memory"),
        default="disk",
        help="burst: where the embedded broker keeps its log",
    )
    parser.add_argument("--records", type=int, default=2_000, help="broker: records each way")
    parser.add_argument("--store-url", help="burst: a PostgreSQL URL (default: a SQLite file)")
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
    if args.what == "lineage":
        from suture.bench_lineage import run_lineage_bench

        return run_lineage_bench(args.corpus, failures=args.failures, json_path=args.json)
    if args.what == "burst":
        from suture.bench_burst import run_burst_bench

        return run_burst_bench(
            args.alerts,
            args.datasets,
            args.replicas,
            args.store_url,
            args.json,
            args.broker_storage,
        )
    if args.what == "broker":
        from suture.bench_broker import run_broker_bench

        return run_broker_bench(args.records, args.json)
    if args.what == "startup":
        from suture.bench_startup import run_startup_bench

        if args.runs < 1:
            raise ConfigError("--runs must be at least 1")
        return run_startup_bench(args.runs, json_path=args.json)
    return _run_monitors(args)


def _run_monitors(args: argparse.Namespace) -> int:
    from core.config import load_settings
    from suture.bench import run_bench

    if args.events < 1 or args.batch < 1 or args.trials < 0:
        raise ConfigError("--events and --batch must be at least 1, --trials at least 0")
    settings = load_settings(args.config)
    report = run_bench(
        args.events,
        batch=args.batch,
        trials=args.trials,
        bootstrap=settings.kafka.bootstrap,
        kafka=settings.kafka,
    )
    print(report.table())
    if args.json is not None:
        _write(args.json, report.model_dump_json(indent=2) + "\n")
    return 0


def _run_matching(args: argparse.Namespace) -> int:
    from suture.matching_bench import run_matching_bench

    report = run_matching_bench(args.matching)
    print(report.table())
    if args.json is not None:
        _write(args.json, report.model_dump_json(indent=2) + "\n")
    return 0


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot write {str(path)!r}: {error}") from error

"""`suture eval DIR`: run scenario suites offline and score how well suture heals."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the eval command."""
    parser = subparsers.add_parser("eval", help="run eval scenarios and score them")
    parser.add_argument("directory", type=Path, help="folder of scenario *.yaml files")
    parser.add_argument("--tag", action="append", help="only scenarios with this tag (repeatable)")
    parser.add_argument("--parallel", type=int, default=1, help="scenarios run at once")
    parser.add_argument("--json", type=Path, help="write the scores as JSON to this file")
    parser.add_argument("--markdown", type=Path, help="write a Markdown report to this file")
    parser.add_argument("--thresholds", type=Path, help="fail (exit 1) below these scores")
    parser.add_argument("--check", action="store_true", help="only validate the scenario files")
    parser.add_argument("--llm", action="store_true", help="use the configured LLM (SUTURE_LLM_*)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from agents.core.config import load_settings
    from evals.loader import load_suite
    from evals.report import build_report, render_markdown, render_table, write_json
    from evals.runner import run_suite
    from evals.thresholds import load_thresholds

    if args.check:
        return _check(args.directory)
    started = time.perf_counter()
    suite = load_suite(args.directory, tags=args.tag)
    llm = None
    if args.llm:
        from agents.edges.llm import build_llm

        llm = build_llm(load_settings().llm)
    scores = run_suite(suite.scenarios, parallel=args.parallel, llm=llm)
    thresholds = load_thresholds(args.thresholds) if args.thresholds else None
    report = build_report(
        str(args.directory),
        scores,
        suite.errors,
        thresholds,
        wall_seconds=time.perf_counter() - started,
    )
    print(render_table(report))
    if args.json:
        write_json(report, args.json)
    if args.markdown:
        args.markdown.write_text(render_markdown(report), encoding="utf-8")
    return 0 if report.passed else 1


def _check(directory: Path) -> int:
    from evals.checker import check_suite

    report = check_suite(directory)
    for problem in report.problems:
        print(problem)
    print(f"{report.checked} scenario files checked, {len(report.problems)} problems")
    return 0 if report.ok else 1

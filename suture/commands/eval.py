"""`suture eval DIR`: run scenario suites offline and score how well suture heals.

By default each scenario runs through the live loop (embedded broker, agents, store, approval
over HTTP, git merge); `--fast` calls the monitor engines and the healer in process instead.
"""

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
    parser.add_argument("--by-tag", action="store_true", help="also print the totals of each tag")
    parser.add_argument("--llm", action="store_true", help="use the configured LLM (SUTURE_LLM_*)")
    parser.add_argument(
        "--fast",
        action="store_true",
        help="run in process (monitor engines and healer called directly), not the live loop",
    )
    parser.add_argument(
        "--kb",
        choices=("empty", "warm"),
        default="empty",
        help="knowledge base each scenario starts with; warm: the verified fixes of a first pass",
    )
    parser.add_argument(
        "--kb-dir",
        type=Path,
        help="live mode: warm knowledge base folder (a first pass fills it when empty)",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="live mode: seconds allowed per scenario"
    )
    parser.set_defaults(handler=_run)
    generate = subparsers.add_parser(
        "eval-generate",
        help="`suture eval generate DIR`: write generated scenarios and a manifest into DIR",
    )
    generate.add_argument("target", type=Path, help="folder to write the scenarios into")
    generate.add_argument("--seed", type=int, default=1, help="the seed (default 1)")
    generate.add_argument("--count", type=int, default=100, help="scenarios (default 100)")
    generate.add_argument(
        "--tables",
        type=Path,
        help="the schema_matching benchmark folder (default: ../shared/benchmarks/...)",
    )
    generate.set_defaults(handler=_generate)


def _run(args: argparse.Namespace) -> int:
    from core.config import LLMSettings, load_settings
    from core.errors import ConfigError
    from evals.loader import load_suite
    from evals.report import (
        build_report,
        render_by_tag,
        render_markdown,
        render_table,
        write_json,
    )
    from evals.thresholds import load_thresholds

    if args.check:
        return _check(args.directory)
    if args.fast and args.kb_dir is not None:
        raise ConfigError("--kb-dir is for the live loop; drop --fast, or use --kb warm with it")
    started = time.perf_counter()
    suite = load_suite(args.directory, tags=args.tag)
    llm_settings = load_settings().llm if args.llm else LLMSettings()
    sources = {loaded.scenario.id: loaded.path for loaded in suite.loaded}
    if args.fast:
        from agents.edges.llm import build_llm
        from evals.runner import run_suite

        llm = build_llm(llm_settings)
        scores = run_suite(
            suite.scenarios, parallel=args.parallel, llm=llm, kb=args.kb, sources=sources
        )
    else:
        from evals.live_runner import run_live_suite

        scores = run_live_suite(
            suite.scenarios,
            parallel=args.parallel,
            llm=llm_settings,
            kb="warm" if args.kb_dir is not None else args.kb,
            kb_dir=args.kb_dir,
            timeout_s=args.timeout,
            sources=sources,
        )
    thresholds = load_thresholds(args.thresholds) if args.thresholds else None
    report = build_report(
        str(args.directory),
        scores,
        suite.errors,
        thresholds,
        wall_seconds=time.perf_counter() - started,
    )
    print(render_table(report))
    if args.by_tag:
        print(render_by_tag(report))
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


def _generate(args: argparse.Namespace) -> int:
    from core.errors import ConfigError
    from evals.generator.suite import write_suite
    from evals.generator.tables import default_root

    if args.count < 1:
        raise ConfigError(f"--count must be at least 1, got {args.count}")
    root = args.tables or default_root()
    if root is None:
        raise ConfigError("no schema_matching tables found; pass --tables DIR")
    manifest = write_suite(root, args.seed, args.count, args.target)
    print(
        f"wrote {args.count} scenarios of seed {args.seed} to {args.target}: "
        f"outcomes {manifest['outcomes']}, dialects {manifest['dialects']}"
    )
    return 0

"""`suture eval DIR`: run scenario suites offline and score how well suture heals.

By default each scenario runs through the live loop (embedded broker, agents, store, approval
over HTTP, git merge); `--fast` calls the monitor engines and the healer in process instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.config import LLMSettings
    from evals.reject_leaks import RejectLeak
    from evals.scenario import Scenario
    from evals.scoring import ScenarioScore


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
    parser.add_argument(
        "--allow-failures",
        action="store_true",
        help="exit 0 even when a scenario fails (thresholds and load errors still count)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
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
    from core.config import load_settings
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
    from core.config import LLMSettings

    llm_settings = load_settings().llm if args.llm else LLMSettings()
    sources = {loaded.scenario.id: loaded.path for loaded in suite.loaded}
    run_some = _runner(args, llm_settings, sources)
    scores = _with_progress(run_some, suite.scenarios, args)
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
    failed = [score.scenario_id for score in scores if not score.passed]
    leaks = _leaks(suite.scenarios, failed)
    for leak in leaks:
        print(leak.line())
    if args.json:
        write_json(report, args.json)
        _add_leaks_to_json(args.json, leaks)
    if args.markdown:
        text = render_markdown(report) + "".join(f"\n- {leak.line()}" for leak in leaks)
        args.markdown.write_text(text, encoding="utf-8")
    if failed and not args.allow_failures:
        print(
            f"suture eval: {len(failed)} scenario(s) failed: {', '.join(failed)} "
            "(--allow-failures to exit 0 anyway)",
            file=sys.stderr,
        )
        return 1
    return 0 if report.passed else 1


Runner = Callable[[Sequence["Scenario"]], list["ScenarioScore"]]


def _runner(
    args: argparse.Namespace, llm_settings: LLMSettings, sources: dict[str, Path]
) -> Runner:
    """A function that runs and scores some scenarios the way the options say."""
    if args.fast:
        from agents.edges.llm import build_llm
        from evals.runner import run_suite

        llm = build_llm(llm_settings)
        return partial(run_suite, parallel=1, llm=llm, kb=args.kb, sources=sources)
    from evals.live_runner import run_live_suite

    return partial(
        run_live_suite,
        parallel=1,
        llm=llm_settings,
        kb="warm" if args.kb_dir is not None else args.kb,
        kb_dir=args.kb_dir,
        timeout_s=args.timeout,
        sources=sources,
    )


def _with_progress(
    run_some: Runner, scenarios: Sequence[Scenario], args: argparse.Namespace
) -> list[ScenarioScore]:
    """Run every scenario, `--parallel` at a time, with a progress bar on stderr.

    A warm knowledge base needs a first pass over the whole suite, so then the suite runs as
    one piece (the bar moves once, at the end).
    """
    from tqdm import tqdm

    bar = tqdm(total=len(scenarios), unit="scenario", disable=args.no_progress, file=sys.stderr)
    try:
        if args.kb == "warm" or args.kb_dir is not None:
            scores = run_some(scenarios)
            bar.update(len(scenarios))
            return scores
        results: dict[int, ScenarioScore] = {}
        with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
            futures = {pool.submit(run_some, [s]): i for i, s in enumerate(scenarios)}
            for future in as_completed(futures):
                [score] = future.result()
                results[futures[future]] = score
                bar.set_postfix_str(score.scenario_id[:30])
                bar.update(1)
        return [results[i] for i in range(len(scenarios))]
    finally:
        bar.close()


def _leaks(scenarios: Sequence[Scenario], failed: list[str]) -> list[RejectLeak]:
    """Reject patches that got through, in the failed scenarios."""
    from evals.reject_leaks import reject_leaks

    return [leak for s in scenarios if s.id in failed for leak in reject_leaks(s)]


def _add_leaks_to_json(path: Path, leaks: list[RejectLeak]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["reject_leaks"] = [
        {
            "scenario": leak.scenario_id,
            "reject_patch": leak.index,
            "model": leak.model,
            "should_have_stopped": leak.should_have_stopped,
        }
        for leak in leaks
    ]
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


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

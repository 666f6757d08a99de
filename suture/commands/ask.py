"""`suture ask "QUESTION"`: answer a lineage question about a pipeline repository."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `ask` sub-command."""
    parser = subparsers.add_parser(
        "ask",
        help="ask where a column comes from, who reads it, what a change breaks",
        description=__doc__,
    )
    parser.add_argument("question", help='e.g. "what breaks if orders.cust_id is renamed?"')
    parser.add_argument(
        "--repo", type=Path, help="pipeline directory (default: settings' repo, else .)"
    )
    parser.add_argument("--config", type=Path, help="suture.yaml with llm settings")
    parser.add_argument("--no-llm", action="store_true", help="answer with the rules only")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Answer args.question; exit 1 when it could not be answered."""
    import asyncio

    # Imported here so `suture --help` stays fast; the LLM client only when a model is used.
    from agents.edges.pipeline_files import read_pipeline_dir
    from agents.lineage_agent import answer
    from core.config import load_settings
    from tools.lineage.graph import build_lineage

    settings = load_settings(args.config)
    files = read_pipeline_dir(args.repo or settings.repo or Path("."))
    graph = build_lineage(files.pipeline, files.contracts, files.exposures)
    llm = None
    if not args.no_llm:
        from agents.edges.llm import build_llm

        llm = build_llm(settings.llm)
    result = asyncio.run(answer(args.question, graph, llm))
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        print(result.text)
        if result.citations:
            print("\nGraph paths:")
            for citation in result.citations:
                print(f"  {citation}")
    return 0 if result.understood else 1

"""`suture demo [--approve]`: the healing loop on embedded defaults."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the demo command."""
    parser = subparsers.add_parser("demo", help="watch a pipeline break and get healed")
    parser.add_argument(
        "--approve",
        action="store_true",
        help="approve the proposal automatically (for unattended runs)",
    )
    parser.add_argument("--config", type=Path, help="a suture.yaml (environment wins over it)")
    parser.add_argument("--workdir", type=Path, help="working directory (default ./.suture)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from core.config import load_settings
    from suture.demo import main

    settings = load_settings(args.config, workdir=args.workdir)
    return main(settings, approve=args.approve)

"""`suture up`: run suture's agents and web endpoint for your own pipeline repository."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the up command."""
    parser = subparsers.add_parser("up", help="watch your own pipeline repository's topics")
    parser.add_argument("--repo", type=Path, help="the pipeline repository (a git work tree)")
    parser.add_argument(
        "--contracts", type=Path, help="a folder of contract YAML files (default: repo/contracts)"
    )
    parser.add_argument("--config", type=Path, help="a suture.yaml (environment wins over it)")
    parser.add_argument("--workdir", type=Path, help="working directory (default ./.suture)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from agents.main import running
    from agents.runtime import stop_on_signals
    from core.config import load_settings
    from core.errors import ConfigError

    settings = load_settings(
        args.config, workdir=args.workdir, repo=args.repo, contracts=args.contracts
    )
    if settings.repo is None:
        raise ConfigError("name the pipeline repository: --repo DIR, SUTURE_REPO or repo: in yaml")

    async def serve() -> int:
        stop = asyncio.Event()
        stop_on_signals(stop)
        async with running(settings, settings.repo, settings.contracts) as live:  # type: ignore[arg-type]
            print(f"suture up: Kafka at {live.bootstrap}; watching {sorted(live.contracts)}")
            for path, reason in live.broken_contracts.items():
                print(f"NOT watched, broken contract {path}: {reason}")
            print(f"review at {live.url}/ ; reviewer token: {live.token.get_secret_value()}")
            await stop.wait()
        print("suture stopped; every process it started is gone")
        return 0

    return asyncio.run(serve())

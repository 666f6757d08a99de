"""`suture up`: run suture's agents and web endpoint for your own pipeline repository."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
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


def check_repo(repo: Path | None) -> Path:
    """The pipeline repository, if it is a git work tree; else a one-line ConfigError."""
    from core.errors import ConfigError

    if repo is None:
        raise ConfigError(
            "setting repo is missing: name the pipeline repository with --repo DIR, "
            "SUTURE_REPO=DIR or repo: in suture.yaml"
        )
    if not repo.is_dir():
        raise ConfigError(
            f"setting repo: {str(repo)!r} is not a directory; point --repo at your pipeline "
            "repository's git work tree"
        )
    if not (repo / ".git").exists():
        raise ConfigError(
            f"setting repo: {str(repo)!r} is not a git repository; run 'git init' there and "
            "commit your models, or point --repo at one"
        )
    return repo


def contracts_warning(
    contracts: Mapping[str, object], repo: Path, folder: Path | None
) -> str | None:
    """A warning when no contract was found: then nothing is watched."""
    if contracts:
        return None
    where = folder if folder is not None else repo / "contracts"
    return (
        f"suture up: warning: no contracts in {str(where)!r}, so no topic is watched; add "
        "contract YAML files there (or --contracts DIR), or draft one with "
        "'suture contracts infer TOPIC'"
    )


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from agents.edges.local_forge import APPLIED_BRANCH
    from agents.main import running
    from agents.runtime import stop_on_signals
    from core.config import load_settings

    settings = load_settings(
        args.config, workdir=args.workdir, repo=args.repo, contracts=args.contracts
    )
    # suture works on its own clone in the workdir: of the remote, or of --repo.
    repo = settings.workdir / "clone" if settings.git.remote else check_repo(settings.repo)

    async def serve() -> int:
        stop = asyncio.Event()
        stop_on_signals(stop)
        async with running(settings, repo, settings.contracts) as live:
            print(f"suture up: Kafka at {live.bootstrap}; watching {sorted(live.contracts)}")
            print(
                f"pipeline repository: {settings.git.remote or repo} on "
                f"{live.repo.main_branch!r}; suture works on its clone {live.repo.path}"
            )
            if settings.git.remote is None:
                print(f"approved fixes are published to {repo} as branch {APPLIED_BRANCH!r}")
            warning = contracts_warning(live.contracts, repo, settings.contracts)
            if warning is not None:
                print(warning, file=sys.stderr)
            for path, reason in live.broken_contracts.items():
                print(f"NOT watched, broken contract {path}: {reason}")
            # An operator-set token is never printed: whoever set it knows it.
            shown = live.token.get_secret_value() if live.token_generated else "(as you set it)"
            print(f"review at {live.url}/ ; reviewer token: {shown}")
            stopped = asyncio.ensure_future(stop.wait())
            fatal = asyncio.ensure_future(live.fatal.wait())
            await asyncio.wait([stopped, fatal], return_when=asyncio.FIRST_COMPLETED)
            for waiter in (stopped, fatal):
                waiter.cancel()
        if live.fatal.is_set():
            print(f"suture: error: {live.fatal_reason}", file=sys.stderr)
            return 1
        print("suture stopped; every process it started is gone")
        return 0

    return asyncio.run(serve())

"""`suture` command line: one sub-command per module under suture.commands."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from core.errors import AssistantError
from suture.log_limits import rate_limit_root_handlers
from suture.logs import configure_logging

# Each name is a module of suture.commands exposing register(subparsers).
COMMANDS: tuple[str, ...] = (
    "demo",
    "up",
    "eval",
    "lineage",
    "ask",
    "contracts",
    "match",
    "bench",
    "db",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(prog="suture", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an error, not one line"
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"suture.commands.{name}").register(subparsers)
    return parser


def _aliases(argv: Sequence[str]) -> list[str]:
    """`eval generate ...` is the `eval-generate` sub-command (argparse cannot nest it in eval).

    >>> _aliases(["-v", "eval", "generate", "--seed", "3", "out"])
    ['-v', 'eval-generate', '--seed', '3', 'out']
    """
    words = list(argv)
    for index in range(len(words) - 1):
        if words[index] == "eval" and words[index + 1] == "generate":
            return [*words[:index], "eval-generate", *words[index + 2 :]]
        if not words[index].startswith("-"):
            break
    return words


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; our own errors print one clear line and exit 2."""
    args = build_parser().parse_args(_aliases(sys.argv[1:] if argv is None else argv))
    configure_logging(args.verbose)
    rate_limit_root_handlers()
    try:
        return int(args.handler(args))
    except AssistantError as error:
        if args.debug:
            raise
        print(f"suture: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("suture: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())

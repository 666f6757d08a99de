"""`suture db current`, `suture db upgrade` and `suture db check`: the store's schema revision.

Every replica migrates the store to its own head when it starts (under a lock, so replicas
starting together migrate once); operators who migrate ahead of a rollout run `upgrade` first.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the store's libraries load only when a db action runs
    from agents.edges.store_migrations import Revisions


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `db` command and its current / upgrade / check sub-commands."""
    parser = subparsers.add_parser("db", help="show or migrate the store's schema revision")
    actions = parser.add_subparsers(dest="action", required=True)
    helps = {
        "current": "print the store's revision and this suture's head",
        "upgrade": "migrate the store to this suture's head (what a starting replica does)",
        "check": "exit 1 unless the store is at the head with exactly the declared tables",
    }
    for action, text in helps.items():
        command = actions.add_parser(action, help=text)
        command.add_argument("--store-url", help="the store (default: SUTURE_STORE_URL, config)")
        command.add_argument("--config", type=Path, help="a suture.yaml (environment wins over it)")
        command.add_argument("--workdir", type=Path, help="working directory (default ./.suture)")
        command.set_defaults(handler=run)
    writer = actions.add_parser(
        "revision", help="(developers) write the revision a change of the store's tables needs"
    )
    writer.add_argument("message", help="what changed, e.g. 'proposals get a priority'")
    writer.set_defaults(handler=run_revision)


def run_revision(args: argparse.Namespace) -> int:
    """Write the next revision into agents/edges/migrations/versions and name it."""
    from agents.edges.store_revisions import write_revision

    written = write_revision(args.message)
    print(f"wrote {written}; review it, run ruff format on it and commit it with the change")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run one db action on the configured store."""
    from agents.edges import store_migrations
    from agents.edges.store_engine import open_engine
    from core.config import load_settings

    settings = load_settings(args.config, workdir=args.workdir, store_url=args.store_url)
    engine = open_engine(settings.store_url, settings.workdir)
    label = engine.url.render_as_string(hide_password=True)
    try:
        if args.action == "upgrade":
            before = store_migrations.upgrade(engine)
            print(f"store {label}: {_upgraded(before)}")
            return 0
        revisions = store_migrations.current_revisions(engine)
        print(f"store {label}: {_where(revisions)}")
        if args.action == "current":
            return 0
        if not revisions.at_head:
            return 1
        differences = store_migrations.schema_differences(engine)
        for difference in differences:
            print(f"  differs from the declared tables: {_describe(difference)}")
        return 1 if differences else 0
    finally:
        engine.dispose()


def _where(revisions: Revisions) -> str:
    if revisions.at_head:
        return f"at revision {revisions.current} (head)"
    current = revisions.current or "none (never migrated)"
    return f"at revision {current}, head is {revisions.head}; run 'suture db upgrade'"


def _upgraded(before: Revisions) -> str:
    if before.at_head:
        return f"already at the head, {before.head}"
    start = "a database made before migrations" if before.adopted else before.current or "empty"
    return f"upgraded from {start} to {before.head}"


def _describe(difference: Any) -> str:
    """One of autogenerate's differences in a line: the operation and the names it touches.

    >>> _describe(("remove_column", None, "proposals", "failure"))
    'remove_column proposals failure'
    """
    if isinstance(difference, list):  # the changes to one column come grouped
        return "; ".join(_describe(item) for item in difference)
    operation, *details = difference
    names = [d if isinstance(d, str) else getattr(d, "name", None) for d in details]
    return " ".join([operation, *(str(name) for name in names if name)])

"""`suture db current / upgrade / check` on a SQLite workdir and on a PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from agents.edges.migrations.baseline import REVISION as BASELINE
from agents.edges.store import open_store
from agents.edges.store_migrations import MIGRATIONS
from suture.cli import main
from tests.agents.edges import legacy_schemas


def _say(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_upgrade_migrates_ahead_of_a_rollout_and_current_reports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ("--workdir", str(tmp_path))
    assert _say(capsys, "db", "current", *where) == (
        0,
        f"store sqlite:///{tmp_path}/suture.db: at revision none (never migrated), "
        f"head is {BASELINE}; run 'suture db upgrade'\n",
    )
    assert _say(capsys, "db", "check", *where)[0] == 1
    code, out = _say(capsys, "db", "upgrade", *where)
    assert (code, out.split(": ", 1)[1]) == (0, f"upgraded from empty to {BASELINE}\n")
    code, out = _say(capsys, "db", "upgrade", *where)
    assert (code, out.split(": ", 1)[1]) == (0, f"already at the head, {BASELINE}\n")
    assert _say(capsys, "db", "current", *where)[1].endswith(f"at revision {BASELINE} (head)\n")
    assert _say(capsys, "db", "check", *where)[0] == 0


def test_upgrade_says_when_it_adopted_a_database_made_before_migrations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/suture.db")
    legacy_schemas.first().create_all(engine)
    engine.dispose()
    code, out = _say(capsys, "db", "upgrade", "--workdir", str(tmp_path))
    assert (code, out.split(": ", 1)[1]) == (
        0,
        f"upgraded from a database made before migrations to {BASELINE}\n",
    )


def test_check_names_what_differs_from_the_declared_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    open_store(None, tmp_path).close()
    engine = create_engine(f"sqlite:///{tmp_path}/suture.db")
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE proposals ADD COLUMN priority TEXT"))
    engine.dispose()
    code, out = _say(capsys, "db", "check", "--workdir", str(tmp_path))
    assert code == 1
    assert "differs from the declared tables: remove_column proposals priority\n" in out


@pytest.mark.postgres
def test_upgrade_and_current_on_a_postgresql_store(
    postgres_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ("--store-url", postgres_database, "--workdir", str(tmp_path))
    assert _say(capsys, "db", "upgrade", *where)[0] == 0
    code, out = _say(capsys, "db", "current", *where)
    assert (code, out) == (0, f"store {postgres_database}: at revision {BASELINE} (head)\n")
    assert _say(capsys, "db", "check", *where)[0] == 0


def test_an_unreachable_store_is_one_line_that_says_what_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
    assert main(["db", "upgrade", "--store-url", url, "--workdir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "check that the database is reachable" in err


def test_revision_writes_nothing_while_the_tables_match_the_head(
    capsys: pytest.CaptureFixture[str],
) -> None:
    versions = sorted((MIGRATIONS / "versions").glob("v*.py"))
    assert main(["db", "revision", "no change"]) == 2
    assert "nothing to write" in capsys.readouterr().err
    assert sorted((MIGRATIONS / "versions").glob("v*.py")) == versions

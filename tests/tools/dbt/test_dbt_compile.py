"""suture's rendering of a dbt project's Jinja matches what `dbt compile` (dbt-core) makes of it.

dbt runs from ./go's `.venv-dbt` (dbt-core + dbt-duckdb, kept out of suture's own venv). dbt
names relations in full ("memory"."main"."stg_orders"), suture by model name and topic, so both
sides are compared as sqlglot trees after dbt's relations are mapped to suture's names.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from agents.edges.pipeline_files import read_pipeline_dir

pytestmark = pytest.mark.dbt

ROOT = Path(__file__).resolve().parents[3]
DBT = ROOT / ".venv-dbt" / "bin" / "dbt"
EXAMPLE = ROOT / "examples" / "dbt_shop"


def _dbt_compile(project: Path, target: Path) -> None:
    if not DBT.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{DBT} is missing: ./go test installs dbt there")
        pytest.skip("dbt is not installed; ./go test installs it in .venv-dbt")
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    done = subprocess.run(
        [str(DBT), "compile", "--quiet", "--profiles-dir", ".", "--target-path", str(target),
         "--log-path", str(target / "logs")],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _suture_names(sql: str, sources: dict[str, str]) -> str:
    """dbt's compiled SQL with its relations named as suture names them."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    for table in tree.find_all(exp.Table):
        name = sources.get(f"{table.db}.{table.name}", table.name)
        table.replace(exp.Table(this=exp.to_identifier(name), alias=table.args.get("alias")))
    return tree.sql(dialect="duckdb", comments=False)


def test_every_model_renders_as_dbt_compiles_it(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    _dbt_compile(project, tmp_path / "target")
    files = read_pipeline_dir(EXAMPLE)
    compiled = {p.stem: p for p in (tmp_path / "target" / "compiled").rglob("*.sql")}

    for model, rendered in files.pipeline.models.items():
        assert model in compiled, f"dbt compiled no {model}"
        theirs = _suture_names(compiled[model].read_text(), files.pipeline.context.sources)
        ours = sqlglot.parse_one(rendered, read="duckdb").sql(dialect="duckdb", comments=False)
        assert ours == theirs, model

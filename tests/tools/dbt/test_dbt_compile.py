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
from core.models import FieldMapping, SchemaMapping
from tools.dbt.writeback import templated_patches
from tools.sql.patch import apply_mapping

pytestmark = pytest.mark.dbt

ROOT = Path(__file__).resolve().parents[3]
DBT = ROOT / ".venv-dbt" / "bin" / "dbt"
EXAMPLE = ROOT / "examples" / "dbt_shop"


def _dbt(project: Path, *args: str) -> None:
    if not DBT.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{DBT} is missing: ./go test installs dbt there")
        pytest.skip("dbt is not installed; ./go test installs it in .venv-dbt")
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    done = subprocess.run(
        [str(DBT), *args, "--quiet", "--profiles-dir", "."],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _dbt_compile(project: Path, target: Path) -> None:
    _dbt(project, "compile", "--target-path", str(target), "--log-path", str(target / "logs"))


def _suture_names(sql: str, sources: dict[str, str]) -> str:
    """dbt's compiled SQL with its relations named as suture names them."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    for table in tree.find_all(exp.Table):
        name = sources.get(f"{table.db}.{table.name}", table.name)
        table.replace(exp.Table(this=exp.to_identifier(name), alias=table.args.get("alias")))
    return tree.sql(dialect="duckdb", comments=False)


def _compiled(project: Path, target: Path) -> dict[str, str]:
    _dbt_compile(project, target)
    return {p.stem: p.read_text() for p in (target / "compiled").rglob("*.sql")}


def _same(ours: str, theirs: str, sources: dict[str, str]) -> bool:
    mine = sqlglot.parse_one(ours, read="duckdb").sql(dialect="duckdb", comments=False)
    return mine == _suture_names(theirs, sources)


def test_every_model_renders_as_dbt_compiles_it(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    compiled = _compiled(project, tmp_path / "target")
    pipeline = read_pipeline_dir(EXAMPLE).pipeline

    for model, rendered in pipeline.models.items():
        assert model in compiled, f"dbt compiled no {model}"
        assert _same(rendered, compiled[model], pipeline.context.sources), model


def test_the_fixed_jinja_compiles_in_dbt_to_the_validated_sql(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    files = read_pipeline_dir(project)
    rename = SchemaMapping(entries=[FieldMapping(source="cust_id", target="customer_id")])
    patches = apply_mapping(files.pipeline, "shop_orders", rename, files.contracts["shop_orders"])
    fixed = templated_patches(files.pipeline, patches)
    for patch in fixed:
        assert patch.path is not None and patch.template_after is not None
        (project / patch.path).write_text(patch.template_after)

    compiled = _compiled(project, tmp_path / "target")

    assert {p.model for p in fixed} == {"stg_orders", "customer_orders"}
    for patch in fixed:
        assert _same(patch.after_sql, compiled[patch.model], files.pipeline.context.sources)


_PACKAGE = {
    "dbt_project.yml": (
        "name: shop_utils\nversion: '1.0.0'\nconfig-version: 2\n"
        "vars: {currency: usd, tier_floor: 0}\n"
    ),
    "macros/money.sql": "{% macro to_amount(column) %}({{ column }} / 100.0){% endmacro %}\n",
    "models/currencies.sql": (
        "select '{{ var('currency') }}' as currency, {{ var('tier_floor') }} as floor_cents\n"
    ),
}
_MODELS = {
    # a package's model (two-argument ref) and macro, env_var and var with defaults, a seed
    "models/marts/spend_by_tier.sql": (
        "select s.customer_id, t.tier, c.currency,\n"
        "    sum({{ shop_utils.to_amount('s.amount') }}) as spent\n"
        "from {{ ref('stg_orders') }} as s\n"
        "join {{ ref('order_tiers') }} as t on s.customer_id % 2 = t.parity\n"
        "cross join {{ ref('shop_utils', 'currencies') }} as c\n"
        "where t.region = '{{ env_var('SUTURE_TEST_REGION', 'eu') }}'\n"
        "  and s.amount >= {{ var('min_amount', 0) }}\n"
        "group by 1, 2, 3\n"
    ),
    "seeds/order_tiers.csv": "parity,tier,region\n0,even,eu\n1,odd,eu\n",
    "packages.yml": "packages:\n  - local: ../shop_utils\n",
}


def _with_packages_and_seeds(tmp_path: Path) -> Path:
    """The example, plus a local package installed with `dbt deps`, a seed and a model using
    them, env_var and var with defaults."""
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    for root, files in ((tmp_path / "shop_utils", _PACKAGE), (project, _MODELS)):
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
    _dbt(project, "deps")
    return project


def test_packages_seeds_env_var_and_var_defaults_render_as_dbt_compiles_them(
    tmp_path: Path,
) -> None:
    project = _with_packages_and_seeds(tmp_path)
    compiled = _compiled(project, tmp_path / "target")
    pipeline = read_pipeline_dir(project).pipeline

    assert set(pipeline.read_only) == {"order_tiers", "currencies"}
    for model, rendered in pipeline.models.items():
        if model == "order_tiers":
            continue  # a seed: dbt loads it, there is nothing to compile
        assert model in compiled, f"dbt compiled no {model}"
        assert _same(rendered, compiled[model], pipeline.context.sources), model

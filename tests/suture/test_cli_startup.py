"""`suture --help`, `suture lineage` and `suture ask --no-llm` load no LLM, web or store library.

Each command runs in a fresh interpreter, which then lists the heavy modules it imported.
Speed itself is measured by `suture bench startup`, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from suture.cli import build_parser
from tools.contracts.importer import FORMATS

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("langchain", "langchain_core", "langchain_openai", "openai", "fastapi", "chromadb")
_PROBE = """
import json, sys
from suture.cli import main
try:
    main(json.loads(sys.argv[1]))
except SystemExit:
    pass
heavy = set(json.loads(sys.argv[2]))
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
"""


def _heavy_modules_after(argv: list[str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argv), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["lineage", "SQL_FILE", "--json"],
        ["ask", "where does daily_revenue.revenue come from?", "--repo", "SHOP", "--no-llm"],
    ],
    ids=["help", "lineage", "ask-no-llm"],
)
def test_command_loads_no_llm_or_web_library(argv: list[str], tmp_path: Path) -> None:
    sql_file = tmp_path / "m.sql"
    sql_file.write_text("insert into t (a) select b from s where c > 0;", encoding="utf-8")
    replaced = {"SQL_FILE": str(sql_file), "SHOP": str(ROOT / "examples" / "shop")}
    assert _heavy_modules_after([replaced.get(a, a) for a in argv]) == []


def test_ask_with_a_model_does_load_the_llm_client(tmp_path: Path) -> None:
    # The probe above would pass vacuously if nothing ever loaded these modules.
    argv = ["ask", "where does daily_revenue.revenue come from?", "--repo"]
    argv += [str(ROOT / "examples" / "shop")]
    config = tmp_path / "suture.yaml"
    config.write_text("llm:\n  base_url: http://127.0.0.1:9/v1\n  model: m\n", encoding="utf-8")
    assert "langchain_openai" in _heavy_modules_after([*argv, "--config", str(config)])


def test_contracts_import_offers_every_importer_format() -> None:
    # The command spells the formats out (importing the importer would slow `--help`).
    parser = build_parser()
    for name in FORMATS:
        args = parser.parse_args(["contracts", "import", "f.json", "--format", name])
        assert args.format == name

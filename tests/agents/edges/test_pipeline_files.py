"""Tests of reading a pipeline repository directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agents.edges.pipeline_files import load_contract_file, read_pipeline_dir
from core.errors import ContractError, RepoError

SHOP = Path(__file__).resolve().parents[3] / "examples" / "shop"


def _write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    return root


def test_reads_models_contracts_and_exposures_of_a_pipeline_dir(shop: Path) -> None:
    files = read_pipeline_dir(shop)
    sql_files = sorted(p.stem for p in (shop / "models").glob("*.sql"))
    assert sorted(files.pipeline.models) == sql_files
    assert files.pipeline.dialect == "duckdb"
    for name, relative in files.model_paths.items():
        assert files.pipeline.models[name] == (shop / relative).read_text(encoding="utf-8")
    assert list(files.contracts) == ["orders"]
    assert files.contracts["orders"].key == "order_id"
    assert {e["name"] for e in files.exposures} == {"revenue_dashboard", "churn_features"}


def test_reads_the_dialect_and_nested_model_folders(tmp_path: Path) -> None:
    _write(tmp_path, "pipeline.yaml", "dialect: spark\n")
    _write(tmp_path, "models/staging/stg_a.sql", "select a from t")
    files = read_pipeline_dir(tmp_path)
    assert files.pipeline.dialect == "spark"
    assert files.model_paths == {"stg_a": Path("models/staging/stg_a.sql")}
    assert files.contracts == {}
    assert files.exposures == []


def test_rejects_two_models_with_the_same_name(tmp_path: Path) -> None:
    _write(tmp_path, "models/a/x.sql", "select 1")
    _write(tmp_path, "models/b/x.sql", "select 2")
    with pytest.raises(RepoError, match="'x' is defined twice"):
        read_pipeline_dir(tmp_path)


def test_rejects_a_directory_without_models(tmp_path: Path) -> None:
    with pytest.raises(RepoError, match="no SQL models"):
        read_pipeline_dir(tmp_path)


def test_broken_contract_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.yaml", "dataset: orders\nfields:\n  - {name: a, type: [\n")
    with pytest.raises(ContractError, match=r"orders\.yaml.*line \d+"):
        load_contract_file(path)


def test_invalid_contract_names_the_line_and_field_at_fault(tmp_path: Path) -> None:
    text = (
        "dataset: orders\n"
        "fields:\n"
        "  - {name: order_id, type: string}\n"
        "  - {name: amount, type: money}\n"
    )
    path = _write(tmp_path, "orders.yaml", text)
    with pytest.raises(ContractError) as caught:
        load_contract_file(path)
    message = str(caught.value)
    assert "orders.yaml" in message
    assert "line 4" in message
    assert "fields.1.type" in message


def test_contract_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.yaml", "- just\n- a list\n")
    with pytest.raises(ContractError, match="as a mapping"):
        load_contract_file(path)


def test_two_contracts_for_one_dataset_are_refused(shop: Path) -> None:
    shutil.copy(shop / "contracts" / "orders.yaml", shop / "contracts" / "orders_copy.yaml")
    with pytest.raises(ContractError, match="two contracts"):
        read_pipeline_dir(shop)


def test_unknown_key_in_pipeline_manifest_is_refused_with_its_line(shop: Path) -> None:
    _write(shop, "pipeline.yaml", "name: shop\ndialect: duckdb\ndialekt: spark\n")
    with pytest.raises(RepoError, match=r"line 3.*dialekt"):
        read_pipeline_dir(shop)


def test_exposures_that_are_not_a_list_are_refused(shop: Path) -> None:
    _write(shop, "exposures.yaml", "exposures: revenue\n")
    with pytest.raises(RepoError, match="list of mappings"):
        read_pipeline_dir(shop)


def test_a_lenient_read_keeps_the_good_contracts_and_explains_the_broken_one(
    tmp_path: Path,
) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "stg.sql").write_text("select id from good")
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "good.yaml").write_text(
        "dataset: good\nfields:\n  - {name: id, type: string}\n"
    )
    broken = tmp_path / "contracts" / "bad.yaml"
    broken.write_text("dataset: bad\nfields:\n  - {name: id, type: strin}\n")
    with pytest.raises(ContractError, match=r"bad\.yaml"):
        read_pipeline_dir(tmp_path)
    files = read_pipeline_dir(tmp_path, lenient=True)
    assert list(files.contracts) == ["good"]
    assert list(files.broken_contracts) == [str(broken)]
    assert "line 3" in files.broken_contracts[str(broken)]

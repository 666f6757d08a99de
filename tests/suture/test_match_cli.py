"""`suture match` on CSV, JSON lines and Parquet, and `suture bench --matching` on a tiny set."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from suture.cli import main
from suture.matching_bench import MatchingReport

OLD_CSV = "CustomerID,Qty,order_ts\n1,3,2026-01-01T10:00:00Z\n2,5,2026-01-02T10:00:00Z\n"


def _new_jsonl(path: Path) -> Path:
    rows = [
        {"customer_id": 1, "quantity": 3, "order": {"timestamp": "2026-01-01T10:00:00.100Z"}},
        {"customer_id": 2, "quantity": 5, "order": {"timestamp": "2026-01-02T10:00:00.200Z"}},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_matches_a_csv_against_json_lines_and_prints_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old.csv"
    old.write_text(OLD_CSV)
    assert main(["match", str(old), str(_new_jsonl(tmp_path / "new.jsonl")), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    pairs = {(c["source"], tuple(c["targets"])) for c in found["correspondences"]}
    assert pairs == {
        ("CustomerID", ("customer_id",)),
        ("Qty", ("quantity",)),
        ("order_ts", ("order.timestamp",)),
    }
    assert all(c["evidence"] and c["score"] > 0 for c in found["correspondences"])


def test_matches_parquet_and_prints_the_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old.parquet", tmp_path / "new.parquet"
    pq.write_table(pa.table({"amt": [10.5, 20.0, 31.25], "desc": ["a", "b", "c"]}), old)
    pq.write_table(pa.table({"amount": [10.5, 20.0, 31.25], "description": ["a", "b", "d"]}), new)
    assert main(["match", str(old), str(new)]) == 0
    printed = capsys.readouterr().out
    assert "amt -> amount" in printed and "desc -> description" in printed
    assert "shared values" in printed


def test_a_malformed_json_line_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old.csv", tmp_path / "new.jsonl"
    old.write_text(OLD_CSV)
    new.write_text('{"a": 1}\n{not json\n')
    assert main(["match", str(old), str(new)]) == 2
    assert "new.jsonl:2" in capsys.readouterr().err


def test_bench_reports_precision_recall_and_time_per_pair(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "tiny" / "p1"
    folder.mkdir(parents=True)
    (folder / "source.csv").write_text(OLD_CSV)
    (folder / "target.csv").write_text("cust_id,quantity\n1,3\n2,5\n")
    (folder / "truth.csv").write_text(
        "source_column,target_column\nCustomerID,cust_id\nQty,quantity\n"
    )
    manifest = {
        "name": "tiny",
        "pairs": [
            {
                "id": "p1",
                "source": "p1/source.csv",
                "target": "p1/target.csv",
                "ground_truth": "p1/truth.csv",
            }
        ],
    }
    (tmp_path / "tiny" / "manifest.json").write_text(json.dumps(manifest))
    report_path = tmp_path / "report.json"
    assert main(["bench", "--matching", str(tmp_path), "--json", str(report_path)]) == 0
    report = MatchingReport.model_validate_json(report_path.read_text())
    [result] = report.pairs
    assert (result.precision, result.recall, result.f1) == (1.0, 1.0, 1.0)
    assert "small pairs: 1 pairs, macro F1 1.000" in capsys.readouterr().out

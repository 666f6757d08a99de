"""The column-lineage conformance corpus: it loads, and the engine meets its gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.yaml_source import load_yaml_text
from evals.lineage_cases import (
    THRESHOLD_FILE,
    CorpusError,
    LineageCase,
    load_corpus,
    run_case,
    score,
)


def test_corpus_meets_the_gate() -> None:
    gate = load_yaml_text(THRESHOLD_FILE.read_text(encoding="utf-8"))
    scores = score(run_case(case) for case in load_corpus())["all"]
    assert scores.errors <= gate["max_errors"], scores.failed
    assert scores.exact_share >= gate["min_exact"], scores.failed


def test_malformed_edge_names_the_file_and_case(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "- {id: a, class: c, dialect: duckdb, source: own, sql: select 1, value: [nonsense]}\n",
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match=r"(?s)bad.yaml: case #1 .*nonsense"):
        load_corpus(tmp_path)


def test_engine_error_is_recorded_not_raised() -> None:
    case = LineageCase.model_validate(
        {
            "id": "x",
            "class": "c",
            "dialect": "duckdb",
            "source": "own",
            "sql": "select (",
            "value": ["t.a -> query.a"],
        }
    )
    result = run_case(case)
    assert result.error is not None
    assert not result.exact
    assert result.missing == {"t.a -> query.a"}

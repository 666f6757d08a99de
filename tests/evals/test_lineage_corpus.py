"""The column-lineage conformance corpus: it loads, and the engine meets its gate."""

from __future__ import annotations

import json
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


def test_bench_lineage_prints_and_writes_scores_per_class(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from suture.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "cases.yaml").write_text(
        "- {id: a, class: cte, dialect: duckdb, source: own,\n"
        "   sql: 'with c as (select x from t) select x from c', value: ['t.x -> query.x']}\n"
        "- {id: b, class: union, dialect: duckdb, source: own,\n"
        "   sql: 'select x from t', value: ['t.y -> query.x']}\n",
        encoding="utf-8",
    )
    figures = tmp_path / "lineage.json"
    assert (
        main(["bench", "lineage", "--corpus", str(corpus), "--failures", "--json", str(figures)])
        == 0
    )
    out = capsys.readouterr().out
    assert "union/b (duckdb)" in out
    assert "missing: t.y -> query.x" in out
    scores = json.loads(figures.read_text(encoding="utf-8"))
    assert scores["cte"]["exact"] == 1.0
    assert scores["union"]["exact"] == 0.0
    assert scores["all"] == scores["all"] | {"cases": 2, "exact": 0.5, "errors": 0}

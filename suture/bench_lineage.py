"""`suture bench lineage`: exact match, edge precision and recall per class, ms per statement."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from core.errors import ConfigError
from evals.lineage_cases import CORPUS_DIR, load_corpus, run_case, score, score_table


def run_lineage_bench(
    corpus: Path | None, *, failures: bool = False, json_path: Path | None = None
) -> int:
    """Run the conformance corpus and print its scores; exit 0 (the gate is a test)."""
    # sqlglot warns for every statement it keeps as a raw command; the scores say what matters.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    cases = load_corpus(corpus or CORPUS_DIR)
    run_case(cases[0])  # warm sqlglot's caches so the first case does not carry them
    results = [run_case(case) for case in cases]
    scores = score(results)
    print(score_table(scores))
    if failures:
        for result in results:
            if not result.exact:
                print(f"\n{result.case.lineage_class}/{result.case.id} ({result.case.dialect})")
                if result.error:
                    print(f"  error: {result.error}")
                for edge in sorted(result.missing):
                    print(f"  missing: {edge}")
                for edge in sorted(result.extra):
                    print(f"  extra:   {edge}")
    if json_path is not None:
        figures = {
            name: {
                "cases": s.cases,
                "exact": round(s.exact_share, 4),
                "precision": round(s.precision, 4),
                "recall": round(s.recall, 4),
                "errors": s.errors,
                "ms_per_statement": round(s.ms_per_statement, 3),
            }
            for name, s in scores.items()
        }
        try:
            json_path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot write {str(json_path)!r}: {error}") from error
    return 0

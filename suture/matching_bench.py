"""The schema-matching benchmark: `suture match`'s engine on public pairs with ground truth.

A benchmark directory holds dataset folders, each with a `manifest.json` listing its pairs
(`source`, `target`, `ground_truth` CSV paths; `default_run: false` skips a dataset). Every pair
is read, summarised and matched from scratch, and timed as a whole: CPU seconds of this process
(other load on the machine does not count) and wall-clock seconds beside them. Pairs are grouped
as GDC (the wide-target `gdc` dataset) or small pairs (every other dataset).
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from core.errors import ConfigError
from suture.table_files import read_columns
from tools.matching.table_matching import match_tables


class PairResult(BaseModel):
    """Precision, recall and F1 of one pair, and the CPU (and wall-clock) seconds it took."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str
    pair: str
    group: str
    precision: float
    recall: float
    f1: float
    seconds: float
    wall_seconds: float
    predicted: int
    expected: int


class MatchingReport(BaseModel):
    """Every pair's result, and macro F1 and time per group."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pairs: list[PairResult]

    def groups(self) -> dict[str, list[PairResult]]:
        """Results by group, in first-seen order."""
        found: dict[str, list[PairResult]] = {}
        for result in self.pairs:
            found.setdefault(result.group, []).append(result)
        return found

    def table(self) -> str:
        """The report as a fixed-width text table."""
        lines = [f"{'dataset':<24}{'pair':<30}{'P':>6}{'R':>6}{'F1':>6}{'cpu s':>7}{'wall s':>8}"]
        for r in self.pairs:
            lines.append(
                f"{r.dataset:<24}{r.pair[:29]:<30}{r.precision:>6.3f}{r.recall:>6.3f}"
                f"{r.f1:>6.3f}{r.seconds:>7.2f}{r.wall_seconds:>8.2f}"
            )
        for group, results in self.groups().items():
            macro = sum(r.f1 for r in results) / len(results)
            slowest = max(r.seconds for r in results)
            mean = sum(r.seconds for r in results) / len(results)
            lines.append(
                f"{group}: {len(results)} pairs, macro F1 {macro:.3f}, "
                f"{mean:.2f} CPU s per pair (slowest {slowest:.2f} s)"
            )
        return "\n".join(lines)


def run_matching_bench(directory: Path) -> MatchingReport:
    """Match every pair of every dataset under `directory` (or of the dataset it is)."""
    manifests = sorted(directory.glob("*/manifest.json")) or sorted(directory.glob("manifest.json"))
    if not manifests:
        raise ConfigError(f"no manifest.json under {str(directory)!r}; pass the benchmark folder")
    results: list[PairResult] = []
    for manifest_path in manifests:
        manifest = _load(manifest_path)
        if manifest.get("default_run", True) is False:
            continue
        dataset = str(manifest.get("name", manifest_path.parent.name))
        pairs = manifest.get("pairs", [])
        for pair in pairs if isinstance(pairs, list) else []:
            results.append(_run_pair(manifest_path.parent, dataset, pair))
    return MatchingReport(pairs=results)


def _load(path: Path) -> dict[str, object]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ConfigError(f"cannot read {str(path)!r}: {error}") from error
    if not isinstance(found, dict):
        raise ConfigError(f"{str(path)!r} must hold a JSON object")
    return found


def _run_pair(folder: Path, dataset: str, pair: object) -> PairResult:
    if not isinstance(pair, dict) or not {"id", "source", "target", "ground_truth"} <= set(pair):
        raise ConfigError(f"a pair of {dataset!r} lacks id, source, target or ground_truth")
    expected = _truth(folder / str(pair["ground_truth"]))
    started, clock = time.process_time(), time.perf_counter()
    found = match_tables(
        read_columns(folder / str(pair["source"])), read_columns(folder / str(pair["target"]))
    ).pairs()
    seconds, wall = time.process_time() - started, time.perf_counter() - clock
    hits = len(found & expected)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(expected) if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return PairResult(
        dataset=dataset,
        pair=str(pair["id"]),
        group="GDC" if dataset == "gdc" else "small pairs",
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(f1, 4),
        seconds=round(seconds, 3),
        wall_seconds=round(wall, 3),
        predicted=len(found),
        expected=len(expected),
    )


def _truth(path: Path) -> set[tuple[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise ConfigError(f"cannot read {str(path)!r}: {error}") from error
    return {(row["source_column"], row["target_column"]) for row in rows}

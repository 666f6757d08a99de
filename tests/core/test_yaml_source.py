"""One YAML reader: a contract means the same in a repository and in an eval scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.edges.pipeline_files import load_contract_file
from core.yaml_source import YamlSourceError, load_yaml_text, parse_yaml
from evals.loader import load_scenario

SCENARIO = (
    Path(__file__).resolve().parents[2] / "evals/scenarios/cdc/cdc-inventory-epoch-to-iso.yaml"
)

CONTRACT = """\
dataset: surveys
fields:
  - {name: answer, type: string, enum: [yes, no, on, off]}
  - {name: taken, type: string, enum: [2024-01-01, 2024-01-02]}
  - {name: consent, type: boolean}
"""


def test_words_like_yes_and_dates_stay_strings_and_only_true_false_are_booleans() -> None:
    assert load_yaml_text("a: [yes, no, on, off, true, False, 2024-01-01, 1.5]") == {
        "a": ["yes", "no", "on", "off", True, False, "2024-01-01", 1.5]
    }


def test_a_repository_contract_and_a_scenario_contract_read_the_same(tmp_path: Path) -> None:
    (tmp_path / "surveys.yaml").write_text(CONTRACT, encoding="utf-8")
    from_repo = load_contract_file(tmp_path / "surveys.yaml")
    scenario_text = SCENARIO.read_text(encoding="utf-8")
    anchor = "    - {name: warehouse,  type: string,    required: true}\n"
    assert anchor in scenario_text
    added = anchor + "    - {name: answer, type: string, enum: [yes, no, on, off]}\n"
    (tmp_path / "scenario.yaml").write_text(scenario_text.replace(anchor, added), encoding="utf-8")
    from_scenario = load_scenario(tmp_path / "scenario.yaml").contract
    answer = next(f for f in from_scenario.fields if f.name == "answer")
    assert answer.enum == from_repo.fields[0].enum == ["yes", "no", "on", "off"]
    assert from_repo.fields[1].enum == ["2024-01-01", "2024-01-02"]


def test_a_key_written_twice_is_refused_at_its_line() -> None:
    with pytest.raises(YamlSourceError) as caught:
        parse_yaml("a: 1\nb: 2\na: 3\n", Path("x.yaml"))
    assert caught.value.line == 3

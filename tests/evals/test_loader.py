"""Tests of evals.loader: scenario files load, broken ones name their file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.loader import LoadError, load_scenario, load_suite

GOOD = """\
id: {id}
description: Producer renamed cust_id to customer_id.
tags: [drift, {tag}]
contract:
  dataset: orders
  fields:
    - {{name: order_id, type: string, required: true, unique: true}}
    - {{name: cust_id, type: integer, required: true}}
    - {{name: created_at, type: timestamp}}
    - {{name: country, type: string}}
pipeline:
  dialect: duckdb
  models:
    stg_orders: select order_id, cust_id as customer_id from orders
events:
  before: [{{order_id: o1, cust_id: 7, created_at: 2026-01-01T10:00:00Z, country: NO}}]
  after: [{{order_id: o2, customer_id: 7, created_at: 2026-01-01T10:05:00Z, country: NO}}]
expect:
  detect:
    - {{kind: rename, field: cust_id, to: customer_id}}
  outcome: fix
  mapping: {{cust_id: customer_id}}
  output:
    stg_orders:
      - {{order_id: o2, customer_id: 7}}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_loads_a_valid_scenario_keeping_dates_and_country_codes_as_strings(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", GOOD.format(id="orders-rename", tag="rename"))
    scenario = load_scenario(path)
    assert scenario.id == "orders-rename"
    assert scenario.events.before[0]["created_at"] == "2026-01-01T10:00:00Z"
    assert scenario.events.before[0]["country"] == "NO"
    assert scenario.expect.detect[0].to == "customer_id"


def test_broken_yaml_reports_the_file_and_line(tmp_path: Path) -> None:
    text = GOOD.format(id="x", tag="t").replace("  dialect: duckdb", "  dialect: [duckdb")
    path = write(tmp_path, "broken.yaml", text)
    with pytest.raises(LoadError) as caught:
        load_scenario(path)
    assert caught.value.path == path
    assert caught.value.line in (13, 14)
    assert str(caught.value).startswith(f"{path}:{caught.value.line}: invalid YAML")


def test_wrong_type_deep_in_the_file_points_at_its_key(tmp_path: Path) -> None:
    text = GOOD.format(id="x", tag="t").replace("cust_id, type: integer", "cust_id, type: int")
    path = write(tmp_path, "deep.yaml", text)
    with pytest.raises(LoadError) as caught:
        load_scenario(path)
    assert caught.value.line == 8
    assert "contract.fields.1.type" in caught.value.message


def test_a_detection_missing_what_its_kind_needs_points_at_that_detection(tmp_path: Path) -> None:
    text = GOOD.format(id="x", tag="t").replace(", to: customer_id}", "}")
    path = write(tmp_path, "rename.yaml", text)
    with pytest.raises(LoadError) as caught:
        load_scenario(path)
    assert caught.value.line == 20
    assert "needs to" in caught.value.message


def test_a_key_written_twice_is_an_error_at_the_second(tmp_path: Path) -> None:
    text = GOOD.format(id="x", tag="t").replace("  dialect: duckdb\n", "  dialect: duckdb\n" * 2)
    path = write(tmp_path, "twice.yaml", text)
    with pytest.raises(LoadError) as caught:
        load_scenario(path)
    assert caught.value.line == 13
    assert "twice" in caught.value.message


def test_suite_keeps_loading_after_a_broken_file_and_filters_on_tags(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.format(id="first", tag="rename"))
    write(tmp_path, "nested/b.yaml", GOOD.format(id="second", tag="lag"))
    write(tmp_path, "nested/c.yaml", "id: [unclosed\n")
    write(tmp_path, "nested/d.yaml", GOOD.format(id="first", tag="rename"))
    write(tmp_path, "notes.txt", "not a scenario")
    suite = load_suite(tmp_path)
    assert [s.id for s in suite.scenarios] == ["first", "second"]
    assert [(e.path.name, e.line) for e in suite.errors] == [("c.yaml", 2), ("d.yaml", 1)]
    assert "already used" in suite.errors[1].message
    assert [s.id for s in load_suite(tmp_path, tags=["lag"]).scenarios] == ["second"]


def test_outcome_other_than_fix_may_not_carry_a_mapping(tmp_path: Path) -> None:
    text = GOOD.format(id="x", tag="t").replace("outcome: fix", "outcome: escalate")
    path = write(tmp_path, "esc.yaml", text)
    with pytest.raises(LoadError) as caught:
        load_scenario(path)
    assert caught.value.line == 22
    assert "'mapping' belongs to outcome 'fix'" in caught.value.message

"""Tests of evals.checker: it catches scenarios that lie, at the right line."""

from __future__ import annotations

import io
from pathlib import Path

from evals.checker import check_suite, run_check

SCENARIO = """\
id: orders-rename
contract:
  dataset: orders
  fields:
    - {name: order_id, type: string, required: true}
    - {name: cust_id, type: integer, required: true}
    - {name: amount_cents, type: integer}
  invariants:
    - {name: amount_non_negative, model: stg, check: "amount >= 0"}
pipeline:
  dialect: duckdb
  models:
    stg: select order_id, cust_id as customer_id, amount_cents / 100.0 as amount from orders
events:
  before: [{order_id: o1, cust_id: 7, amount_cents: 1250}]
  after: [{order_id: o2, customer_id: 7, amount_cents: 900}]
expect:
  detect:
    - {kind: rename, field: cust_id, to: customer_id}
  outcome: fix
  mapping: {cust_id: customer_id}
  output:
    stg:
      - {order_id: o2, customer_id: 7, amount: AMOUNT}
  reject_patches:
    - {model: stg, sql: "select order_id, null as customer_id, 9.0 as amount from orders"}
"""


def check(tmp_path: Path, text: str) -> list[tuple[int, str]]:
    (tmp_path / "s.yaml").write_text(text)
    return [(p.line, p.message) for p in check_suite(tmp_path).problems]


def test_a_consistent_scenario_has_no_problems(tmp_path: Path) -> None:
    assert check(tmp_path, SCENARIO.replace("AMOUNT", "9.0")) == []


def test_expected_output_that_breaks_an_invariant_is_caught_at_the_invariant(
    tmp_path: Path,
) -> None:
    [(line, message)] = check(tmp_path, SCENARIO.replace("AMOUNT", "-9.0"))
    assert line == 9
    assert "in expect.output: invariant 'amount_non_negative' fails on 1 of 1 rows" in message


def test_models_that_fail_on_before_are_reported_at_the_models(tmp_path: Path) -> None:
    text = SCENARIO.replace("AMOUNT", "9.0").replace("from orders\n", "from order_typo\n", 1)
    problems = check(tmp_path, text)
    assert any(line == 12 and "models fail on events.before" in m for line, m in problems)


def test_mapping_keys_must_be_contract_fields(tmp_path: Path) -> None:
    text = SCENARIO.replace("AMOUNT", "9.0").replace("{cust_id: customer_id}", "{cust: x}")
    assert (21, "mapping key 'cust' is not a contract field; map old fields") in check(
        tmp_path, text
    )


def test_a_reject_patch_that_is_actually_right_is_caught(tmp_path: Path) -> None:
    text = SCENARIO.replace("AMOUNT", "9.0").replace("null as customer_id", "7 as customer_id")
    [(line, message)] = check(tmp_path, text)
    assert line == 26
    assert "produces exactly expect.output" in message


def test_a_reject_patch_that_does_not_parse_is_caught(tmp_path: Path) -> None:
    text = SCENARIO.replace("AMOUNT", "9.0").replace('sql: "select order_id,', 'sql: "selec (')
    [(line, message)] = check(tmp_path, text)
    assert line == 26 and "does not parse" in message


def test_a_fix_the_models_do_not_need_is_caught(tmp_path: Path) -> None:
    text = SCENARIO.replace("AMOUNT", "9.0").replace(
        "customer_id: 7, amount_cents: 900}]", "cust_id: 7, amount_cents: 900}]"
    )
    text = text.replace("kind: rename, field: cust_id, to: customer_id", "kind: add, field: x")
    problems = check(tmp_path, text)
    assert any("already produce expect.output" in m for _, m in problems)


def test_lag_expectations_must_follow_burrows_rules(tmp_path: Path) -> None:
    text = SCENARIO.replace("AMOUNT", "9.0").split("expect:")[0] + (
        "lag:\n  group: g\n  topic: orders\n  samples:\n"
        "    - {t: 0, partition: 0, end: 10, committed: 5}\n"
        "    - {t: 60, partition: 0, end: 20, committed: 5}\n"
        "expect:\n  detect:\n    - {kind: lag, status: WARN, partition: 0}\n"
        "  outcome: escalate\n"
    )
    problems = check(tmp_path, text)
    assert any("partition 0 is STALL" in m for _, m in problems)
    assert any("expects lag WARN on partition 0" in m for _, m in problems)


def test_run_check_prints_file_and_line_and_load_errors_too(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(SCENARIO.replace("AMOUNT", "9.0"))
    (tmp_path / "bad.yaml").write_text("id: x\ncontract: {dataset: [\n")
    out = io.StringIO()
    assert run_check(tmp_path, out=out) == 1
    printed = out.getvalue()
    assert f"{tmp_path / 'bad.yaml'}:3: -: invalid YAML" in printed
    assert "checked 2 scenario files: 1 problems in 1 files" in printed

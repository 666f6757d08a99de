"""A fix's contract change is written into the dbt source YAML, or left to a human."""

from __future__ import annotations

from pathlib import Path

from core.contracts import ContractField
from core.yaml_source import load_yaml_text
from tools.dbt.schema import read_schema
from tools.dbt.source_yaml import updated_source_yaml

SOURCES = Path(__file__).resolve().parents[3] / "examples" / "dbt_shop" / "models" / "sources.yml"
_TWO_TABLES = """
sources:
  - name: web
    tables:
      - name: clicks
        loaded_at_field: ts   # when the click happened
        columns:
          - {name: user_id, data_type: bigint, data_tests: [not_null]}
          - {name: ts, data_type: timestamp}
      - name: views
        columns:
          - {name: user_id, data_type: bigint}
"""


def _renamed(text: str, topic: str, renames: dict[str, str]) -> tuple[str | None, str]:
    old = read_schema([("s.yml", load_yaml_text(text))]).contracts[topic]
    fields = [f.model_copy(update={"name": renames.get(f.name, f.name)}) for f in old.fields]
    event_time = renames.get(old.event_time or "", old.event_time)
    new = old.model_copy(update={"fields": fields, "event_time": event_time})
    return updated_source_yaml(text, "s.yml", old, new), topic


def test_the_example_source_gets_its_column_renamed_and_keeps_its_comments() -> None:
    text = SOURCES.read_text()

    updated, _ = _renamed(text, "shop_orders", {"cust_id": "customer_id"})

    assert updated is not None
    assert updated == text.replace("- name: cust_id", "- name: customer_id")
    assert "# the Kafka topic this source table reads" in updated


def test_only_the_drifted_tables_block_changes_and_loaded_at_field_follows() -> None:
    updated, _ = _renamed(_TWO_TABLES, "clicks", {"user_id": "account_id", "ts": "clicked_at"})

    assert updated is not None
    assert "loaded_at_field: clicked_at   # when the click happened" in updated
    assert "{name: account_id, data_type: bigint, data_tests: [not_null]}" in updated
    assert updated.rstrip().endswith("- {name: user_id, data_type: bigint}"), "views untouched"


def test_a_change_that_is_not_only_renames_is_left_to_a_human() -> None:
    old = read_schema([("s.yml", load_yaml_text(_TWO_TABLES))]).contracts["views"]
    added = ContractField(name="referrer", type="string")
    new = old.model_copy(update={"fields": [*old.fields, added]})

    assert updated_source_yaml(_TWO_TABLES, "s.yml", old, new) is None

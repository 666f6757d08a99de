"""A new currency code on rows whose amounts are in minor units."""

from __future__ import annotations

import pytest

from core.contracts import Contract
from tools.healing.currencies import exponent, is_currency_field, minor_unit_changed


def _payments(unit: str | None) -> Contract:
    return Contract.model_validate(
        {
            "dataset": "payments",
            "fields": [
                {"name": "amount", "type": "integer", "unit": unit},
                {"name": "currency", "type": "string", "enum": ["usd", "eur", "gbp"]},
            ],
        }
    )


KNOWN = ["usd", "eur", "gbp"]


@pytest.mark.parametrize("code", ["jpy", "KRW", "kwd", "bhd", "xyz"])
def test_a_new_currency_of_another_minor_unit_changes_minor_unit_amounts(code: str) -> None:
    found = minor_unit_changed(_payments("minor units"), "currency", [code], KNOWN, ["amount"])
    assert found is not None and "amount" in found and "power of ten" in found


@pytest.mark.parametrize("unit", ["cents", "minor_units", "mills"])
def test_every_fraction_of_a_major_unit_counts_as_minor(unit: str) -> None:
    assert minor_unit_changed(_payments(unit), "currency", ["jpy"], KNOWN, ["amount"])


def test_a_new_currency_of_the_same_minor_unit_changes_nothing() -> None:
    assert minor_unit_changed(_payments("cents"), "currency", ["cad"], KNOWN, ["amount"]) is None


@pytest.mark.parametrize("unit", [None, "dollars", "seconds"])
def test_amounts_not_in_minor_units_are_not_affected(unit: str | None) -> None:
    assert minor_unit_changed(_payments(unit), "currency", ["jpy"], KNOWN, ["amount"]) is None


def test_amounts_no_model_reads_are_not_affected() -> None:
    assert minor_unit_changed(_payments("cents"), "currency", ["jpy"], KNOWN, ["currency"]) is None


def test_only_a_field_of_currency_codes_is_a_currency() -> None:
    assert is_currency_field("payment.currency_code", ["USD", "EUR"])
    assert not is_currency_field("currency", ["usd", "points"])
    assert not is_currency_field("region", ["usd", "eur"])
    assert exponent("JPY") == 0 and exponent("EUR") == 2

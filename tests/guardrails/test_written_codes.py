"""Text a substitute writes for a vanished code field (guardrails.written_codes):

- a code list written in another case convention, sharing no value with the old one
  (`FOOD_AND_DRINK` for `Food and Drink`), is another taxonomy or another representation:
  either way not the old field's values;
- a yes/no field rebuilt by sorting the codes of a multi-valued text field into true and
  false decides what each code means: a guess, unless re-sent records show it.
"""

from __future__ import annotations

import pytest

from tests.guardrails._replay import contract_of, verdict

GENRE_MODEL = "select track_id, genre as genre_name from tracks"
GENRE_BEFORE = [
    {"track_id": "t1", "genre": "Hip Hop"},
    {"track_id": "t2", "genre": "Classical"},
    {"track_id": "t3", "genre": "Jazz"},
    {"track_id": "t4", "genre": "Rock and Roll"},
]
GENRE_AFTER = [
    {"track_id": "t5", "taxonomy": {"top": "ELECTRONIC", "leaf": "ELECTRONIC_HOUSE"}},
    {"track_id": "t6", "taxonomy": {"top": "WORLD_MUSIC", "leaf": "WORLD_MUSIC_FADO"}},
    {"track_id": "t7", "taxonomy": {"top": "POP", "leaf": "POP_INDIE"}},
    {"track_id": "t8", "taxonomy": {"top": "SOUL", "leaf": "SOUL_MOTOWN"}},
]
GENRE = contract_of("tracks", {"track_id": "string", "genre": "string"})


@pytest.mark.parametrize("leaf", ["top", "leaf"])
def test_refuses_a_code_list_in_another_case_convention(leaf: str) -> None:
    patched = f"select track_id, taxonomy.{leaf} as genre_name from tracks"
    passed, detail = verdict(GENRE_MODEL, patched, GENRE_BEFORE, GENRE_AFTER, GENRE)
    assert not passed
    assert "case" in detail


def test_refuses_lower_case_codes_for_upper_case_ones() -> None:
    model = "select shipment, carrier_code as carrier from shipments"
    before = [
        {"shipment": 1, "carrier_code": "UPS"},
        {"shipment": 2, "carrier_code": "DHL"},
        {"shipment": 3, "carrier_code": "FEDEX"},
    ]
    after = [
        {"shipment": 4, "carrier": {"slug": "usps"}},
        {"shipment": 5, "carrier": {"slug": "canada_post"}},
        {"shipment": 6, "carrier": {"slug": "royal_mail"}},
    ]
    contract = contract_of("shipments", {"shipment": "integer", "carrier_code": "string"})
    patched = "select shipment, carrier.slug as carrier from shipments"
    passed, detail = verdict(model, patched, before, after, contract)
    assert not passed
    assert "case" in detail


def test_passes_codes_in_the_old_case_convention() -> None:
    after = [
        {"track_id": "t5", "taxonomy": {"top": "Electronic"}},
        {"track_id": "t6", "taxonomy": {"top": "World Music"}},
        {"track_id": "t7", "taxonomy": {"top": "Pop"}},
        {"track_id": "t8", "taxonomy": {"top": "Soul"}},
    ]
    patched = "select track_id, taxonomy.top as genre_name from tracks"
    passed, detail = verdict(GENRE_MODEL, patched, GENRE_BEFORE, after, GENRE)
    assert passed, detail


# a boolean rebuilt from a multi-valued status
OPT_MODEL = "select member, wants_sms as sms_ok from members"
OPT_BEFORE = [
    {"member": 1, "wants_sms": True},
    {"member": 2, "wants_sms": False},
    {"member": 3, "wants_sms": True},
    {"member": 4, "wants_sms": False},
]
OPT_AFTER = [
    {"member": 5, "sms": {"status": "opted_in"}},
    {"member": 6, "sms": {"status": "awaiting_confirmation"}},
    {"member": 7, "sms": {"status": "opted_out"}},
    {"member": 8, "sms": {"status": "never_asked"}},
]
OPT = contract_of("members", {"member": "integer", "wants_sms": "boolean"})


@pytest.mark.parametrize(
    "expression",
    [
        "sms.status in ('opted_in', 'awaiting_confirmation')",
        "sms.status <> 'opted_out'",
        "case when sms.status = 'opted_in' then true else false end",
    ],
)
def test_refuses_a_flag_sorted_out_of_several_codes(expression: str) -> None:
    patched = f"select member, {expression} as sms_ok from members"
    passed, detail = verdict(OPT_MODEL, patched, OPT_BEFORE, OPT_AFTER, OPT)
    assert not passed
    assert "guess" in detail


def test_refuses_a_flag_from_an_account_tier() -> None:
    model = "select account, is_paying as paying from accounts"
    before = [{"account": i, "is_paying": p} for i, p in enumerate([True, True, False, True])]
    tiers = ["enterprise", "trial", "team", "free", "team"]
    after = [{"account": 10 + i, "plan": {"tier": t}} for i, t in enumerate(tiers)]
    contract = contract_of("accounts", {"account": "integer", "is_paying": "boolean"})
    patched = "select account, plan.tier not in ('free', 'trial') as paying from accounts"
    passed, detail = verdict(model, patched, before, after, contract)
    assert not passed
    assert "guess" in detail


def test_passes_a_flag_read_from_yes_no_text() -> None:
    after = [
        {"member": 5, "sms": {"status": "Y"}},
        {"member": 6, "sms": {"status": "N"}},
        {"member": 7, "sms": {"status": "Y"}},
    ]
    patched = "select member, sms.status = 'Y' as sms_ok from members"
    passed, detail = verdict(OPT_MODEL, patched, OPT_BEFORE, after, OPT)
    assert passed, detail

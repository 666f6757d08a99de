"""Tests for tools.healing.mapping: deterministic mapping inference, verified on the samples."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from core.contracts import Contract
from core.models import Detection
from tools.healing.mapping import MappingInference, evaluate, fits, infer_mapping
from tools.matching.samples import values


def _contract(**types: str) -> Contract:
    return Contract(dataset="orders", fields=[{"name": n, "type": t} for n, t in types.items()])


def _infer(
    detections: list[Detection],
    before: Sequence[Mapping[str, object]],
    after: Sequence[Mapping[str, object]],
    used: set[str],
    **types: str,
) -> MappingInference:
    return infer_mapping(detections, _contract(**types), used, before, after)


def _reproduces(
    result: MappingInference,
    field: str,
    before: Sequence[Mapping[str, object]],
    after: Sequence[Mapping[str, object]],
) -> bool:
    target = result.mapping.as_dict()[field]
    return evaluate(target, after) == values(before, field)


def test_maps_a_rename_to_the_new_name() -> None:
    before = [{"order_id": "o1", "cust_id": 7}, {"order_id": "o3", "cust_id": 12}]
    after = [{"order_id": "o2", "customer_id": 7}]
    result = _infer(
        [Detection(kind="rename", field="cust_id", to="customer_id")],
        before,
        after,
        {"order_id", "cust_id"},
        order_id="string",
        cust_id="integer",
    )
    assert result.mapping.as_dict() == {"cust_id": "customer_id"}
    assert (result.unresolved, result.ambiguous) == ([], {})
    [entry] = result.mapping.entries
    assert entry.confidence == 1.0 and "verified" in entry.rationale


def test_restores_cents_from_dollars_as_integers() -> None:
    before = [{"amount_cents": 1250}, {"amount_cents": 300}]
    after = [{"amount": 12.5}, {"amount": 3.0}]
    detections = [
        Detection(kind="rename", field="amount_cents", to="amount"),
        Detection(kind="unit_change", field="amount_cents", factor=0.01),
    ]
    result = _infer(detections, before, after, {"amount_cents"}, amount_cents="integer")
    assert result.mapping.as_dict() == {"amount_cents": "CAST(round(amount * 100) AS BIGINT)"}
    assert _reproduces(result, "amount_cents", before, after)


def test_prefers_the_factor_the_samples_confirm_over_a_wrong_detected_one() -> None:
    before = [{"weight_g": 1500.0}, {"weight_g": 250.0}]
    after = [{"weight_g": 1.5}, {"weight_g": 0.25}]
    detections = [Detection(kind="unit_change", field="weight_g", factor=0.1)]
    result = _infer(detections, before, after, {"weight_g"}, weight_g="number")
    assert result.mapping.as_dict() == {"weight_g": "weight_g * 1000"}
    assert any("rejected 'weight_g * 10'" in note for note in result.notes)


def test_maps_fields_into_and_out_of_structs() -> None:
    before = [{"city": "Paris", "address": {"zip": "75001"}}]
    after = [{"address": {"city": "Rome"}, "zip": "00100"}]
    detections = [
        Detection(kind="nesting", field="city", to="address.city"),
        Detection(kind="nesting", field="address.zip", to="zip"),
    ]
    result = _infer(detections, before, after, {"city", "address.zip"}, city="string")
    assert result.mapping.as_dict() == {"address.zip": "zip", "city": "address.city"}


def test_casts_numbers_sent_as_strings_back_to_numbers() -> None:
    before = [{"qty": 3}, {"qty": 1}]
    after = [{"qty": "4"}, {"qty": "2"}]
    detections = [Detection(kind="type_change", field="qty", to="string", **{"from": "integer"})]
    result = _infer(detections, before, after, {"qty"}, qty="integer")
    assert result.mapping.as_dict() == {"qty": "CAST(qty AS BIGINT)"}


def test_turns_epoch_millis_back_into_the_old_iso_text() -> None:
    before = [{"ts": "2026-01-01T10:00:00.250Z"}]
    after = [{"ts": 1767261600250}]
    detections = [Detection(kind="type_change", field="ts", to="integer", **{"from": "timestamp"})]
    result = _infer(detections, before, after, {"ts"}, ts="timestamp")
    assert _reproduces(result, "ts", before, after)


def test_turns_iso_text_back_into_the_old_epoch_millis() -> None:
    before = [{"ts": 1767261600000}]
    after = [{"ts": "2026-01-01T10:00:00Z"}]
    detections = [Detection(kind="type_change", field="ts", to="timestamp", **{"from": "integer"})]
    result = _infer(detections, before, after, {"ts"}, ts="integer")
    assert _reproduces(result, "ts", before, after)


def test_rebuilds_a_split_field_with_the_separator_of_its_old_values() -> None:
    before = [{"site": "Lyon, 69001"}, {"site": "Köln, 50667"}]
    after = [{"city": "Bordeaux", "zip": 33000}]
    detections = [Detection(kind="split", field="site", to=["city", "zip"])]
    result = _infer(detections, before, after, {"site"}, site="string")
    assert evaluate(result.mapping.as_dict()["site"], after) == ["Bordeaux, 33000"]


def test_escalates_a_split_whose_order_nothing_decides() -> None:
    # "Lovelace, Ada" is surname first; the names say first then last: the order is undecided
    before = [{"name": "Lovelace, Ada"}, {"name": "Turing, Alan"}]
    after = [{"last": "Hopper", "first": "Grace"}]
    detections = [Detection(kind="split", field="name", to=["last", "first"])]
    result = _infer(detections, before, after, {"name"}, name="string")
    assert "name" not in result.mapping.as_dict()
    assert any("order" in r.reason for r in result.refused)


def test_takes_merged_parts_apart_with_the_separator_of_the_new_values() -> None:
    before = [{"first": "Ada", "zip": 10115}]
    after = [{"label": "Grace/10001"}]
    detections = [Detection(kind="merge", field="label", to=["first", "zip"])]
    result = _infer(detections, before, after, {"first", "zip"}, first="string", zip="integer")
    assert evaluate(result.mapping.as_dict()["first"], after) == ["Grace"]
    assert evaluate(result.mapping.as_dict()["zip"], after) == [10001]


def test_reports_two_equally_fitting_successors_as_ambiguous() -> None:
    before = [{"ts": "2026-01-01T10:00:00Z", "n": 1}]
    after = [{"event_time": "2026-01-02T10:00:00Z", "ingest_time": "2026-01-02T10:00:05Z", "n": 1}]
    result = _infer([Detection(kind="remove", field="ts")], before, after, {"ts"}, ts="timestamp")
    assert result.ambiguous == {"ts": ["event_time", "ingest_time"]}
    assert result.mapping.entries == []


def test_reports_two_equally_sure_renames_as_ambiguous() -> None:
    before = [{"ts": "2026-01-01T10:00:00Z"}]
    after = [{"event_time": "2026-01-02T10:00:00Z", "ingest_time": "2026-01-02T10:00:05Z"}]
    detections = [
        Detection(kind="rename", field="ts", to="event_time", confidence=0.8),
        Detection(kind="rename", field="ts", to="ingest_time", confidence=0.7),
    ]
    result = _infer(detections, before, after, {"ts"}, ts="timestamp")
    assert result.ambiguous == {"ts": ["event_time", "ingest_time"]}


def test_never_guesses_a_lone_new_field_for_a_removed_one() -> None:
    before = [{"ts": "2026-01-01T10:00:00Z"}]
    after = [{"event_time": "2026-01-02T10:00:00Z"}]
    result = _infer([Detection(kind="remove", field="ts")], before, after, {"ts"}, ts="timestamp")
    assert result.ambiguous == {"ts": ["event_time"]} and result.mapping.entries == []


def test_leaves_a_removed_field_without_successor_unresolved() -> None:
    before = [{"email": "a@b.c", "order_id": "o1"}]
    after = [{"order_id": "o2", "note": 5}]
    result = _infer(
        [Detection(kind="remove", field="email")],
        before,
        after,
        {"email", "order_id"},
        email="string",
        order_id="string",
    )
    assert result.unresolved == ["email"]
    assert result.mapping.entries == [] and result.ambiguous == {}


def test_rejects_a_detected_rename_whose_values_do_not_fit() -> None:
    before = [{"cust_id": 7}]
    after = [{"customer": "ACME Corp"}]
    result = _infer(
        [Detection(kind="rename", field="cust_id", to="customer")],
        before,
        after,
        {"cust_id"},
        cust_id="integer",
    )
    assert result.unresolved == ["cust_id"]
    assert any(n.startswith("cust_id: rejected") and "customer" in n for n in result.notes)


def test_ignores_changes_to_fields_no_model_uses() -> None:
    before = [{"cust_id": 7, "promo": "x"}]
    after = [{"cust_id": 7, "promo_code": "x"}]
    detections = [Detection(kind="rename", field="promo", to="promo_code")]
    result = _infer(detections, before, after, {"cust_id"}, cust_id="integer")
    assert result == MappingInference()


def test_rebuilds_a_split_url_with_its_constant_prefix() -> None:
    before = [
        {"url": "https://news.example.com/tech/ai-chips"},
        {"url": "https://blog.example.org/world/elections"},
    ]
    after = [{"host": "news.example.com", "path": "/sport/final"}]
    detections = [Detection(kind="split", field="url", to=["host", "path"])]
    result = _infer(detections, before, after, {"url"}, url="string")
    assert result.mapping.as_dict() == {"url": "'https://' || host || path"}


def test_reads_merged_fixed_width_parts_by_position() -> None:
    before = [{"day": "2026-08-19", "time": "21:14:05"}, {"day": "2026-08-20", "time": "00:02:31"}]
    after = [{"at": "2026-09-01T00:10:00"}, {"at": "2026-10-02T01:45:12"}]
    detections = [
        Detection(kind="merge", field="day", to=["at"]),
        Detection(kind="merge", field="time", to=["at"]),
    ]
    result = _infer(detections, before, after, {"day", "time"}, day="string", time="string")
    assert result.mapping.as_dict() == {"day": 'substr("at", 1, 10)', "time": 'substr("at", 12, 8)'}


def test_reads_booleans_sent_as_text_flags() -> None:
    before = [{"busy": True}, {"busy": False}]
    after: list[dict[str, object]] = [{"busy": "Y"}, {"busy": "N"}, {"busy": None}]
    detections = [Detection(kind="type_change", field="busy", to="string", **{"from": "boolean"})]
    result = _infer(detections, before, after, {"busy"}, busy="boolean")
    assert evaluate(result.mapping.as_dict()["busy"], after) == [True, False, None]


def test_rebuilds_a_split_field_with_the_old_part_widths() -> None:
    before = [{"expiry": "09/28"}, {"expiry": "11/30"}]
    after: list[dict[str, object]] = [{"month": 3, "year": 2027}, {"month": 12, "year": 2029}]
    detections = [Detection(kind="split", field="expiry", to=["month", "year"])]
    result = _infer(detections, before, after, {"expiry"}, expiry="string")
    assert evaluate(result.mapping.as_dict()["expiry"], after) == ["03/27", "12/29"]


def test_epoch_milliseconds_back_to_iso_text_keep_their_fraction() -> None:
    before = [{"ts": "2026-06-01T07:00:00Z"}, {"ts": "2026-06-01T07:01:13Z"}]
    after = [{"ts": 1780297621500}, {"ts": 1780297700250}, {"ts": 1780297800000}]
    contract = Contract.model_validate(
        {"dataset": "app", "fields": [{"name": "ts", "type": "timestamp", "required": True}]}
    )
    change = Detection(kind="type_change", field="ts", to="integer", **{"from": "string"})
    inference = infer_mapping([change], contract, {"ts"}, before, after)
    [entry] = inference.mapping.entries
    assert ".%g" in entry.target, entry.target  # 07:07:01.500, not 07:07:01


def test_a_sole_new_field_with_strong_evidence_is_chosen_by_elimination() -> None:
    before = [{"ts": f"2026-01-01T10:0{i}:00Z"} for i in range(5)]
    after = [{"event_time": f"2026-01-02T11:0{i}:00.123Z"} for i in range(5)]
    result = _infer([Detection(kind="remove", field="ts")], before, after, {"ts"}, ts="timestamp")
    [entry] = result.mapping.entries
    assert entry.source == "ts" and "event_time" in entry.target
    assert result.ambiguous == {}


def test_an_abbreviated_name_with_matching_values_is_chosen_among_new_fields() -> None:
    before = [{"qty": i} for i in range(1, 7)]
    after = [{"quantity": i + 1, "note": f"n{i}"} for i in range(1, 7)]
    result = _infer([Detection(kind="remove", field="qty")], before, after, {"qty"}, qty="integer")
    assert result.mapping.as_dict() == {"qty": "quantity"}


def test_two_close_new_fields_stay_open_with_the_margin_in_the_notes() -> None:
    before = [{"amount": 10 * i} for i in range(1, 7)]
    after = [{"total": 10 * i, "value": 10 * i} for i in range(1, 7)]
    result = _infer(
        [Detection(kind="remove", field="amount")], before, after, {"amount"}, amount="integer"
    )
    assert result.ambiguous == {"amount": ["total", "value"]}
    assert any("margin 0.00" in note for note in result.notes)


_GAME_TITLES = [
    "wisdom of the bible holy land edition",
    "monopoly 3",
    "comic book library",
    "pc hoyle jewels : swap & drop it",
    "instant home cooking ( jewel case )",
    "agatha christie : and then there were none",
]
_OTHER_GAME_TITLES = [
    "the sims 2 : nightlife ! ( mac ) 2004-2005 win/mac",
    "print shop 22 deluxe",
    "adobe photoshop elements 4.0",
    "mavis beacon teaches typing 17",
    "ultimate home design",
    "learn to speak spanish 8",
]
_SCREEN_TITLES = [
    "da-lite da-glas standard rear projection screen 81 x 108 video format",
    "premiertek hi-speed usb 2.0 to sata or ide 2.5 drive adapter",
    "motorola dect 6.0 cordless care",
    "xerox 101r00421 transfer unit",
    "case logic trend compact camera case",
]
_CABLE_TITLES = [
    "v7 3 cat6 snagless molded network patch cable black",
    "avery 3 durable view binder with ez-turn ring black",
    "heavy duty 3-hole punch",
    "hp 58 photo inkjet print cartridge c6658an",
    "draper m1300 signature series v electric screen - ntsc 200 diagonal",
]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (_GAME_TITLES, _OTHER_GAME_TITLES[1:]),  # ':' in two old titles, in no new one
        (_SCREEN_TITLES, _CABLE_TITLES),  # '.' in three old titles, in no new one
        (_CABLE_TITLES, _GAME_TITLES[:3]),  # no outline in common
    ],
)
def test_maps_a_free_text_rename_whose_samples_share_no_punctuation(
    before: list[str], after: list[str]
) -> None:
    result = _infer(
        [Detection(kind="rename", field="title", to="title_value")],
        [{"title": t} for t in before],
        [{"title_value": t} for t in after],
        {"title"},
        title="string",
    )
    assert result.mapping.as_dict() == {"title": "title_value"}, result.notes


def test_a_free_text_rename_that_lost_every_space_is_not_mapped() -> None:
    result = _infer(
        [Detection(kind="rename", field="title", to="title_value")],
        [{"title": t} for t in _GAME_TITLES],
        [{"title_value": t.replace(" ", "_").upper()} for t in _OTHER_GAME_TITLES],
        {"title"},
        title="string",
    )
    assert result.unresolved == ["title"], result.mapping


_PRICES = [19.88, 773.82, 3.88, 9.99, 49.0, 59.97]


@pytest.mark.parametrize(
    "after",
    [
        [429.99, 499.0, 11.94, 110.84, 288.86, 1363.5],  # medians 10x apart, ranges interleave
        [5.0, 240.0, 899.99, 310.5, 199.0],
        [1.99, 2.5, 4.75, 35.0, 7.25, 3.1],
    ],
)
def test_maps_a_rename_of_prices_whose_small_samples_differ_in_median(after: list[float]) -> None:
    result = _infer(
        [Detection(kind="rename", field="price", to="price_value")],
        [{"price": p} for p in _PRICES],
        [{"price_value": p} for p in after],
        {"price"},
        price="number",
    )
    assert result.mapping.as_dict() == {"price": "price_value"}, result.notes


@pytest.mark.parametrize("factor", [100.0, 0.01, 1000.0])
def test_rejects_a_detected_rename_whose_values_moved_by_a_unit(factor: float) -> None:
    result = _infer(
        [Detection(kind="rename", field="price", to="price_value")],
        [{"price": p} for p in _PRICES],
        [{"price_value": round(p * factor, 4)} for p in [429.99, 499.0, 11.94, 110.84, 288.86]],
        {"price"},
        price="number",
    )
    assert "price" in result.unresolved, result.mapping


# identifiers: the size of a unique key carries no meaning

IDS_BEFORE = [{"vid": v} for v in [51, 151, 301, 2201]]
IDS_AFTER = [{"id": v} for v in ["2251", "2301", "151", "2351"]]


def _ids_contract(unique: bool, key: str | None = None) -> Contract:
    return Contract(
        dataset="contacts", key=key, fields=[{"name": "vid", "type": "integer", "unique": unique}]
    )


def test_a_unique_id_under_a_new_name_may_have_grown_far_beyond_the_old_ones() -> None:
    result = infer_mapping(
        [Detection(kind="rename", field="vid", to="id")],
        _ids_contract(unique=True),
        {"vid"},
        IDS_BEFORE,
        IDS_AFTER,
    )
    assert result.mapping.as_dict() == {"vid": "CAST(id AS BIGINT)"}


def test_the_contracts_key_is_an_identifier_too() -> None:
    result = infer_mapping(
        [Detection(kind="rename", field="vid", to="id")],
        _ids_contract(unique=False, key="vid"),
        {"vid"},
        IDS_BEFORE,
        IDS_AFTER,
    )
    assert result.mapping.as_dict() == {"vid": "CAST(id AS BIGINT)"}


def test_a_field_not_declared_unique_keeps_its_magnitude_check() -> None:
    result = infer_mapping(
        [Detection(kind="rename", field="vid", to="id")],
        _ids_contract(unique=False),
        {"vid"},
        IDS_BEFORE,
        IDS_AFTER,
    )
    assert result.unresolved == ["vid"]
    assert any("around" in r.reason for r in result.refused)


def test_a_unique_field_with_repeated_values_is_no_identifier_and_keeps_the_check() -> None:
    before = [{"vid": v} for v in [51, 51, 301, 2201]]
    result = infer_mapping(
        [Detection(kind="rename", field="vid", to="id")],
        _ids_contract(unique=True),
        {"vid"},
        before,
        IDS_AFTER,
    )
    assert result.unresolved == ["vid"]


# an envelope whose leaves the models read: the leaves answer for it


def _envelope_contract() -> Contract:
    return Contract(
        dataset="employees",
        fields=[
            {"name": "payload", "type": "object"},
            {"name": "payload.employee_id", "type": "integer"},
            {"name": "payload.salary", "type": "number"},
        ],
    )


ENVELOPED = [{"payload": {"employee_id": 1000 + i, "salary": 5e4 + 900 * i}} for i in range(4)]
FLAT = [{"employee_id": 2000 + i, "salary": 5.2e4 + 700 * i} for i in range(4)]


def test_an_envelope_whose_leaves_moved_needs_no_successor_of_its_own() -> None:
    detections = [
        Detection(kind="nesting", field="payload.employee_id", to="employee_id"),
        Detection(kind="nesting", field="payload.salary", to="salary"),
    ]
    used = {"payload", "payload.employee_id", "payload.salary"}
    result = infer_mapping(detections, _envelope_contract(), used, ENVELOPED, FLAT)
    assert result.mapping.as_dict() == {
        "payload.employee_id": "employee_id",
        "payload.salary": "salary",
    }
    assert (result.unresolved, result.ambiguous) == ([], {})


def test_an_envelope_with_a_leaf_nothing_carries_stays_unresolved() -> None:
    detections = [Detection(kind="nesting", field="payload.employee_id", to="employee_id")]
    after = [{"employee_id": row["employee_id"]} for row in FLAT]
    used = {"payload", "payload.employee_id", "payload.salary"}
    result = infer_mapping(detections, _envelope_contract(), used, ENVELOPED, after)
    assert result.unresolved == ["payload.salary"]


def test_an_object_read_whole_still_needs_a_successor() -> None:
    used = {"payload"}
    result = infer_mapping([], _envelope_contract(), used, ENVELOPED, FLAT)
    assert result.unresolved == ["payload"]


# opaque identifiers: a key written another way is still the key

PLACES_BEFORE = [{"place_id": f"ChIJN1t_tDeuEmsR{i}"} for i in range(4)]
PLACES_AFTER = [{"id": f"ChIJ3S-JXmauEmsRUc{i}"} for i in range(4)]


def test_a_key_written_with_other_marks_is_still_its_successor() -> None:
    contract = Contract(
        dataset="places", key="place_id", fields=[{"name": "place_id", "type": "string"}]
    )
    result = infer_mapping(
        [Detection(kind="rename", field="place_id", to="id")],
        contract,
        {"place_id"},
        PLACES_BEFORE,
        PLACES_AFTER,
    )
    assert result.mapping.as_dict() == {"place_id": "id"}


def test_a_field_not_declared_a_key_keeps_its_marks_check() -> None:
    contract = Contract(dataset="places", fields=[{"name": "place_id", "type": "string"}])
    result = infer_mapping(
        [Detection(kind="rename", field="place_id", to="id")],
        contract,
        {"place_id"},
        PLACES_BEFORE,
        PLACES_AFTER,
    )
    assert result.unresolved == ["place_id"]
    assert any("never writes '_'" in r.reason for r in result.refused)


def test_a_key_whose_successor_repeats_values_is_judged_as_any_field() -> None:
    contract = Contract(
        dataset="places", key="place_id", fields=[{"name": "place_id", "type": "string"}]
    )
    after = [{"id": "ChIJ3S-JXmauEmsRUc"} for _ in range(4)]
    result = infer_mapping(
        [Detection(kind="rename", field="place_id", to="id")],
        contract,
        {"place_id"},
        PLACES_BEFORE,
        after,
    )
    assert result.unresolved == ["place_id"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ([1, 6, 3, 3, 1, 6], [2, 2, 2, 2, 2, 2]),  # a schema version beside a count
        (["f", "m", "F", "M", "f", "m"], ["v1", "v1", "v1", "v1", "v1"]),
        ([0.5, 1.25, 2.0, 0.75], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    ],
)
def test_one_value_in_every_event_cannot_stand_for_a_field_whose_values_varied(
    old: list[object], new: list[object]
) -> None:
    problem = fits(old, new, magnitude="judged")
    assert problem is not None and "in all" in problem


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["USD", "USD", "USD", "EUR", "USD", "USD"], ["USD", "USD", "USD"]),  # skewed: by chance
        ([3, 3, 3, 3], [3, 3, 3, 3]),  # it was one value already
        ([1, 2], [5, 5]),  # too few events to tell
    ],
)
def test_one_value_is_kept_where_the_old_spread_makes_it_likely(
    old: list[object], new: list[object]
) -> None:
    problem = fits(old, new, magnitude="judged")
    assert problem is None or "in all" not in problem

"""Tests for successor evidence: names, shapes, values and the nesting rule."""

from __future__ import annotations

import pytest

from tools.matching.field_matching import (
    Match,
    eliminated,
    is_nesting,
    match_successors,
    name_similarity,
    tokens,
)
from tools.profiling.profile_batch import profile_batch


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("cust_id", "customer_id"),
        ("qty", "quantity"),
        ("ts", "timestamp"),
        ("booking_date", "booked_at"),
        ("createdAt", "created_at"),
    ],
)
def test_related_names(first: str, second: str) -> None:
    assert name_similarity(first, second) > 0


@pytest.mark.parametrize(
    ("first", "second"), [("coupon", "channel"), ("email", "phone"), ("a", "b")]
)
def test_unrelated_names(first: str, second: str) -> None:
    assert name_similarity(first, second) == 0


def test_tokens_split_every_naming_style() -> None:
    assert tokens("order.shipTo-address_line2") == ["order", "ship", "to", "address", "line", "2"]


def test_nesting_needs_a_new_parent() -> None:
    assert is_nesting("address.city", "city")
    assert not is_nesting("a.city", "a.town")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("source", "log.file.path"),
        ("name", "displayName.text"),
        ("metadata.time", "received_at"),
        ("from.number", "sender"),
        ("a.city", "b.town"),
    ],
)
def test_a_move_into_or_out_of_an_object_is_nesting_even_when_the_leaf_is_renamed(
    old: str, new: str
) -> None:
    assert is_nesting(old, new)


def test_best_evidence_wins_when_two_fields_could_succeed() -> None:
    before = profile_batch([{"cust": i} for i in range(1, 9)])
    after = profile_batch([{"customer": i, "score": 100 + i} for i in range(1, 9)])
    [match] = match_successors(before, after, ["cust"], ["score", "customer"])
    assert (match.kind, match.new) == ("rename", ["customer"])


def test_two_successors_within_the_margin_are_not_matched_by_a_tie_break() -> None:
    before = profile_batch([{"amount": 10 * i} for i in range(1, 9)])
    after = profile_batch([{"total": 10 * i, "value": 10 * i} for i in range(1, 9)])
    assert match_successors(before, after, ["amount"], ["total", "value"]) == []


def test_a_timestamp_that_gained_milliseconds_under_an_abbreviated_name_is_a_rename() -> None:
    before = profile_batch([{"ts": f"2026-01-01T10:0{i}:00Z"} for i in range(8)])
    after = profile_batch([{"timestamp": f"2026-01-02T10:0{i}:00.250Z"} for i in range(8)])
    [match] = match_successors(before, after, ["ts"], ["timestamp"])
    assert (match.kind, match.new) == ("rename", ["timestamp"])


_TITLES = [
    "order-of-magnitude advantage of tpc-c",
    "incomplete path expressions",
    "reminiscences on influential papers",
    "a query language for 3 data models",
    "instance-based attribute identification",
    "the design of postgres",
]
_OTHER_TITLES = [
    "efficient view maintenance at data warehouses",
    "query optimization by simulated annealing",
    "the case for shared nothing",
    "access path selection in a relational database",
    "mining association rules between sets of items",
    "r-trees: a dynamic index structure",
]
_PLACES = ["1 tillman pl.", "251 e. 53rd st.", "9 main st.", "12 w. 4th ave.", "77 rue du bac"]


@pytest.mark.parametrize(
    ("old", "new", "before", "after"),
    [
        ("title", "headline", _TITLES, _OTHER_TITLES),  # no name evidence: elimination
        ("beer_name", "beer_name_value", ["Ale ©", "Dark_™ Stout Ale", "IPA", "Old Ale"], _TITLES),
        ("addr", "address", _PLACES, [p.upper() for p in _PLACES[::-1]]),
        ("manufacturer", "mfr", ["Sony", "Bose audio", "Canon inc", "LG"], _OTHER_TITLES),
    ],
)
def test_free_text_under_a_new_name_is_a_rename_though_no_value_repeats(
    old: str, new: str, before: list[str], after: list[str]
) -> None:
    [match] = match_successors(
        profile_batch([{old: v} for v in before]),
        profile_batch([{new: v} for v in after]),
        [old],
        [new],
    )
    assert (match.kind, match.old, match.new) == ("rename", [old], [new])


@pytest.mark.parametrize(
    "after",
    [
        ["SKU-1001", "SKU-1002", "SKU-1003", "SKU-1004", "SKU-1005", "SKU-1006"],  # codes
        ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05", "2026-01-06"],
    ],
)
def test_free_text_is_not_taken_for_codes_or_dates(after: list[str]) -> None:
    before = profile_batch([{"title": v} for v in _TITLES])
    assert (
        match_successors(before, profile_batch([{"ref": v} for v in after]), ["title"], ["ref"])
        == []
    )


def test_free_text_with_two_candidates_is_not_matched_by_elimination() -> None:
    before = profile_batch([{"title": v} for v in _TITLES])
    after = profile_batch(
        [
            {"headline": a, "summary": b}
            for a, b in zip(
                _OTHER_TITLES, [t.upper() + " again" for t in _OTHER_TITLES], strict=True
            )
        ]
    )
    assert match_successors(before, after, ["title"], ["headline", "summary"]) == []


_PRODUCT_TITLES = [
    "verbatim 95003 3x dvd-ram double-sided media",
    "da-lite da-glas standard rear projection screen 81 x 108 video format",
    "xerox 101r00421 transfer unit",
    "case logic trend compact camera case",
    "premiertek hi-speed usb 2.0 to sata or ide 2.5 drive adapter",
    "motorola dect 6.0 cordless care",
]
_OTHER_PRODUCT_TITLES = [
    "v7 3 cat6 snagless molded network patch cable black",
    "avery 3 durable view binder with ez-turn ring black",
    "heavy duty 3-hole punch",
    "hp 58 photo inkjet print cartridge c6658an",
    "the sims 2 : nightlife ! ( mac ) 2004-2005 win/mac",
    "elite screens cinewhite series 64 overall height electric screen - 84 diagonal",
]


@pytest.mark.parametrize(
    ("old", "new", "before", "after"),
    [
        ("title", "title_value", _PRODUCT_TITLES, _OTHER_PRODUCT_TITLES),
        ("title", "listing_title", _OTHER_PRODUCT_TITLES, _PRODUCT_TITLES),
        ("title", "payload.title", _PRODUCT_TITLES[::-1], _OTHER_PRODUCT_TITLES[::-1]),
    ],
)
def test_product_titles_with_model_numbers_under_a_new_name_are_a_rename(
    old: str, new: str, before: list[str], after: list[str]
) -> None:
    def event(path: str, value: str) -> dict[str, object]:
        parent, _, leaf = path.rpartition(".")
        return {parent: {leaf: value}} if parent else {path: value}

    [match] = match_successors(
        profile_batch([event(old, v) for v in before]),
        profile_batch([event(new, v) for v in after]),
        [old],
        [new],
    )
    assert (match.old, match.new) == ([old], [new])


@pytest.mark.parametrize(
    ("old", "new", "before", "after"),
    [
        (
            "manufacturer",
            "mfr",
            [
                "topics entertainment",
                "topics entertainment",
                "zend-technologies-inc .",
                "encore",
                "encore software",
                "valusoft",
                "punch ! software",
            ],
            ["micromat", "corel", "curious-labs-inc .", "scholastic", "pinnacle", "microsoft"],
        ),
        (
            "brand",
            "brand_name",
            ["Bose audio", "Canon inc", "General Electric", "Sony", "Western Digital"],
            ["Panasonic", "Philips", "Samsung", "Apple", "Dell computers"],
        ),
        (
            "company",
            "org",
            ["acme corp", "globex corporation", "initech", "umbrella corp", "pied piper"],
            ["stark", "wayne", "cyberdyne", "tyrell", "soylent corp"],
        ),
    ],
)
def test_names_of_one_word_and_of_two_read_alike_under_a_strong_new_name(
    old: str, new: str, before: list[str], after: list[str]
) -> None:
    [match] = match_successors(
        profile_batch([{old: v} for v in before]),
        profile_batch([{new: v} for v in after]),
        [old],
        [new],
    )
    assert (match.kind, match.old, match.new) == ("rename", [old], [new])


def test_words_are_still_not_taken_for_codes() -> None:
    before = profile_batch([{"maker": v} for v in ["acme corp", "globex", "initech", "hooli"]])
    after = profile_batch([{"maker_code": v} for v in ["AC-10", "GL-22", "IN-31", "HO-47"]])
    assert match_successors(before, after, ["maker"], ["maker_code"]) == []


def _split_and_rename(
    old: str, new: str, before: list[str], after: list[str]
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    names = ["Melba Dore", "Allisan Giallo", "Misti RUDDICK", "SALAH MERWIN", "Oue Atchison"]
    parts = [("Donny", "Posthumus"), ("arlyne", "Mckeegan"), ("ATHAR", "pfieffer")]
    parts += [("Catherin", "dacal"), ("Mari", "SKALSKI")]
    old_events = [{"full_name": n, old: v} for n, v in zip(names, before, strict=False)]
    new_events = [
        {"first_name": f, "last_name": s, new: v} for (f, s), v in zip(parts, after, strict=False)
    ]
    return old_events, new_events


@pytest.mark.parametrize(
    ("old", "new", "before", "after"),
    [
        ("state", "region", ["OH", "PA", "OK", "NV", "KY"], ["AR", "UT", "OR", "SD", "VA"]),
        ("code", "ref", ["QX-101", "QX-245", "QX-389", "QX-412"], ["QX-502", "QX-611", "QX-733"]),
        (
            "title",
            "heading",
            ["Ada at home", "The long road", "A quiet year", "Of mice"],
            ["Night train", "Blue river days", "Salt and iron"],
        ),
    ],
)
def test_the_last_vanished_and_appeared_fields_are_paired_once_the_rest_is_explained(
    old: str, new: str, before: list[str], after: list[str]
) -> None:
    old_events, new_events = _split_and_rename(old, new, before, after)
    baseline, current = profile_batch(old_events), profile_batch(new_events)
    vanished, appeared = ["full_name", old], ["first_name", "last_name", new]
    split = Match(
        kind="split", old=["full_name"], new=["first_name", "last_name"], confidence=0.6, note=""
    )
    [match] = eliminated(baseline, current, vanished, appeared, [split])
    assert (match.kind, match.old, match.new) == ("rename", [old], [new])


def test_nothing_is_eliminated_while_two_fields_are_left_on_a_side() -> None:
    old_events, new_events = _split_and_rename("state", "region", ["OH", "PA", "OK"], ["AR", "UT"])
    for event in new_events:
        event["zone"] = event["region"]
    split = Match(
        kind="split", old=["full_name"], new=["first_name", "last_name"], confidence=0.6, note=""
    )
    found = eliminated(
        profile_batch(old_events),
        profile_batch(new_events),
        ["full_name", "state"],
        ["first_name", "last_name", "region", "zone"],
        [split],
    )
    assert found == []


def test_repeated_categories_are_not_paired_by_elimination() -> None:
    old_events, new_events = _split_and_rename(
        "segment", "tier", ["gold", "gold", "silver", "gold", "silver"], ["A", "B", "A", "B", "A"]
    )
    split = Match(
        kind="split", old=["full_name"], new=["first_name", "last_name"], confidence=0.6, note=""
    )
    found = eliminated(
        profile_batch(old_events),
        profile_batch(new_events),
        ["full_name", "segment"],
        ["first_name", "last_name", "tier"],
        [split],
    )
    assert found == []


# numbers now sent as their text, and one code vocabulary under another name


def test_an_id_now_sent_as_text_under_another_name_is_a_sole_rename() -> None:
    before = profile_batch([{"vid": v, "k": i} for i, v in enumerate([51, 151, 301, 2201])])
    after = profile_batch([{"id": v, "k": i} for i, v in enumerate(["2251", "151", "2351"])])
    [match] = match_successors(before, after, ["vid"], ["id"])
    assert (match.kind, match.old, match.new) == ("rename", ["vid"], ["id"])


def test_numbers_sent_as_text_still_share_values_with_the_old_numbers() -> None:
    before = profile_batch([{"kafka_partition": p} for p in [0, 1, 2, 1, 0, 3]])
    after = profile_batch([{"partition_id": p} for p in ["1", "0", "2", "3", "2"]])
    [match] = match_successors(before, after, ["kafka_partition"], ["partition_id"])
    assert match.new == ["partition_id"]


def test_words_are_not_numbers_sent_as_text() -> None:
    before = profile_batch([{"vid": v} for v in [51, 151, 301, 2201]])
    after = profile_batch([{"id": v} for v in ["a51", "b151", "c301"]])
    assert match_successors(before, after, ["vid"], ["id"]) == []


def test_one_code_vocabulary_under_an_unrelated_name_is_a_sole_rename() -> None:
    codes = ["charge_automatically", "send_invoice", "charge_automatically", "send_invoice"]
    before = profile_batch([{"billing": c} for c in codes])
    after = profile_batch([{"collection_method": c} for c in [*codes, "send_invoice"]])
    [match] = match_successors(before, after, ["billing"], ["collection_method"])
    assert (match.kind, match.new) == ("rename", ["collection_method"])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["yes", "no", "yes", "no"], ["no", "yes", "no"]),  # flags, not codes
        (["gold", "silver", "gold"], ["gold", "bronze", "gold"]),  # another vocabulary
        (["gold", "silver", "gold", "gold"], ["silver", "silver", "gold", "gold", "tin"]),
    ],
)
def test_flags_or_other_codes_are_no_shared_vocabulary(old: list[str], new: list[str]) -> None:
    before = profile_batch([{"tier": c} for c in old])
    after = profile_batch([{"level": c} for c in new])
    assert match_successors(before, after, ["tier"], ["level"]) == []


def test_a_shared_vocabulary_with_a_second_candidate_is_no_sole_rename() -> None:
    codes = ["charge_automatically", "send_invoice", "charge_automatically"]
    before = profile_batch([{"billing": c} for c in codes])
    after = profile_batch([{"collection_method": c, "note": f"n{i}"} for i, c in enumerate(codes)])
    assert match_successors(before, after, ["billing"], ["collection_method", "note"]) == []


# the parent two fields share names a leaf only when that leaf is the one field new to it


def test_a_shared_parent_does_not_name_one_of_two_new_leaves_as_the_successor() -> None:
    before = profile_batch(
        [{"actor": {"username": u, "display": d}} for u, d in [("jdoe", "J D"), ("rs", "R S")]] * 2
    )
    after = profile_batch(
        [
            {"actor": {"nickname": n, "account_id": f"5570:{i}", "display": "J D"}}
            for i, n in enumerate(["jane", "rs", "mia", "jane"])
        ]
    )
    found = match_successors(
        before, after, ["actor.username"], ["actor.nickname", "actor.account_id"]
    )
    assert found == []


def test_the_one_leaf_new_to_an_object_may_be_named_by_its_parent() -> None:
    before = profile_batch(
        [{"amount": {"total": t, "currency": c}} for t, c in [("10.00", "EUR"), ("7.50", "USD")]]
    )
    after = profile_batch(
        [
            {"amount": {"value": v, "currency_code": c}}
            for v, c in [("12.00", "EUR"), ("3.25", "USD"), ("8.00", "EUR")]
        ]
    )
    found = match_successors(
        before,
        after,
        ["amount.total", "amount.currency"],
        ["amount.value", "amount.currency_code"],
    )
    assert sorted((m.old[0], m.new[0]) for m in found) == [
        ("amount.currency", "amount.currency_code"),
        ("amount.total", "amount.value"),
    ]


def test_two_look_alike_successors_a_margin_apart_are_rivals_despite_float_noise() -> None:
    before = profile_batch([{"created_at": f"2026-02-10T1{i}:05:11Z"} for i in range(4)])
    after = profile_batch(
        [
            {"date_created": f"2026-02-11T1{i}:04:33", "date_created_gmt": f"2026-02-11T1{i}:04:33"}
            for i in range(4)
        ]
    )
    found = match_successors(before, after, ["created_at"], ["date_created", "date_created_gmt"])
    assert found == []


def test_two_counts_moved_into_one_object_each_keep_their_name() -> None:
    before = profile_batch(
        [{"cars": c, "cards": d} for c, d in [(6, 6), (5, 1), (0, 4), (3, 3), (1, 3), (2, 6)]]
    )
    after = profile_batch(
        [
            {"payload": {"cars": c, "cards": d}}
            for c, d in [(2, 1), (4, 5), (0, 5), (1, 2), (3, 3), (6, 6), (1, 3)]
        ]
    )
    found = match_successors(before, after, ["cars", "cards"], ["payload.cars", "payload.cards"])
    assert sorted((m.kind, m.old, m.new) for m in found) == [
        ("nesting", ["cards"], ["payload.cards"]),
        ("nesting", ["cars"], ["payload.cars"]),
    ]


def test_two_flags_moved_together_are_matched_by_the_names_they_kept() -> None:
    rows = [("open", "closed"), ("closed", "open"), ("open", "open"), ("closed", "closed")]
    later = [("closed", "open"), ("open", "open"), ("open", "closed"), ("closed", "open")]
    before = profile_batch([{"state": a, "status": b} for a, b in rows])
    after = profile_batch([{"info": {"state": a, "status": b}} for a, b in later])
    found = match_successors(before, after, ["state", "status"], ["info.state", "info.status"])
    assert sorted((m.old[0], m.new[0]) for m in found) == [
        ("state", "info.state"),
        ("status", "info.status"),
    ]


def test_a_field_whose_name_reappears_in_two_objects_is_not_matched() -> None:
    before = profile_batch([{"city": c} for c in ["Akron", "Nashua", "Quebec", "Lowell"]])
    after = profile_batch(
        [
            {"home": {"city": a}, "work": {"city": b}}
            for a, b in [("Omaha", "Toledo"), ("Akron", "Nashua"), ("Hayward", "Fresno")]
        ]
    )
    assert match_successors(before, after, ["city"], ["home.city", "work.city"]) == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([3, 12, 7, 1], ["4", "13", "8", "2"]),  # integers as text
        ([1299.0, 12.5, 7.99, 1050.25], ["1,300.00", "13.50", "8.99", "1,051.25"]),
        (["2026-01-01T10:00:00Z", "2026-01-02T11:00:00Z"], [1767261600000, 1767348000250]),
        ([1767261600, 1767348000], ["2026-01-01T10:00:00Z", "2026-01-02T11:00:00Z"]),
    ],
)
def test_a_field_moved_into_an_object_as_another_json_type_is_nesting(
    before: list[object], after: list[object]
) -> None:
    [match] = match_successors(
        profile_batch([{"v": v} for v in before]),
        profile_batch([{"details": {"v": v}} for v in after]),
        ["v"],
        ["details.v"],
    )
    assert (match.kind, match.old, match.new) == ("nesting", ["v"], ["details.v"])


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (["open", "closed", "open"], [1, 0, 1]),  # words that became codes
        ([3, 12, 7], ["three", "twelve", "seven"]),  # numbers written out as words
    ],
)
def test_values_of_another_kind_under_the_old_name_are_not_a_move(
    before: list[object], after: list[object]
) -> None:
    found = match_successors(
        profile_batch([{"v": v} for v in before]),
        profile_batch([{"details": {"v": v}} for v in after]),
        ["v"],
        ["details.v"],
    )
    assert found == []


def test_the_only_field_left_moved_renamed_and_written_as_text_is_nesting_not_sure() -> None:
    # The scenario format's conventions: a move into an object is nesting, renamed or not; the
    # values (other events, numbers as text) vouch for nothing, so it is no certainty.
    found = match_successors(
        profile_batch([{"quantity": q} for q in [3, 12, 7, 1]]),
        profile_batch([{"details": {"qty": q}} for q in ["4", "13", "8", "2"]]),
        ["quantity"],
        ["details.qty"],
    )
    assert [(m.kind, m.old, m.new) for m in found] == [("nesting", ["quantity"], ["details.qty"])]
    assert found[0].confidence < 0.9

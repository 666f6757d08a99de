"""A vanished key's successor, found by its role: the one new identifier in every event."""

from __future__ import annotations

from core.contracts import Contract
from tools.matching.key_successors import key_successors, named_as_identifier
from tools.profiling.profile_batch import profile_batch

PLACES = Contract(
    dataset="places",
    key="place_id",
    fields=[
        {"name": "place_id", "type": "string", "unique": True},
        {"name": "kind", "type": "string"},
    ],
)
BEFORE = [{"place_id": f"ChIJN1t_tDeu{i}", "kind": "cafe"} for i in range(4)]


def _match(after: list[dict[str, object]], contract: Contract = PLACES) -> list[tuple[str, str]]:
    current = profile_batch(after)
    appeared = sorted(p for p in current.fields if p not in {"kind"})
    found = key_successors(contract, profile_batch(BEFORE), current, ["place_id"], appeared)
    return [(m.old[0], m.new[0]) for m in found]


def test_the_one_new_identifier_in_every_event_succeeds_a_vanished_key() -> None:
    after = [{"id": f"ChIJ3S-JXmau{i}", "label": "x", "kind": "bar"} for i in range(4)]
    assert _match(after) == [("place_id", "id")]


def test_a_key_moving_into_an_object_is_nesting() -> None:
    after = [{"ids": {"place_uuid": f"u-{i}"}, "kind": "bar"} for i in range(4)]
    current = profile_batch(after)
    [match] = key_successors(
        PLACES, profile_batch(BEFORE), current, ["place_id"], ["ids.place_uuid"]
    )
    assert match.kind == "nesting"


def test_two_new_identifiers_leave_the_key_without_a_successor() -> None:
    after = [{"id": f"a{i}", "request_id": f"r{i}", "kind": "bar"} for i in range(4)]
    assert _match(after) == []


def test_a_field_with_repeats_or_gaps_is_no_identifier() -> None:
    repeated = [{"id": f"a{i % 2}", "kind": "bar"} for i in range(4)]
    gaps = [{"id": f"a{i}" if i else None, "kind": "bar"} for i in range(4)]
    assert _match(repeated) == [] and _match(gaps) == []


def test_a_field_not_named_as_an_identifier_is_no_successor() -> None:
    after = [{"title": f"Cafe {i}", "kind": "bar"} for i in range(4)]
    assert _match(after) == []


def test_a_field_the_contract_does_not_declare_a_key_has_no_role_to_pass_on() -> None:
    plain = Contract(dataset="places", fields=[{"name": "place_id", "type": "string"}])
    after = [{"id": f"ChIJ3S-JXmau{i}", "kind": "bar"} for i in range(4)]
    assert _match(after, plain) == []


def test_identifier_names() -> None:
    assert named_as_identifier("event_key") and named_as_identifier("deviceGuid")
    assert not named_as_identifier("valid") and not named_as_identifier("paid")

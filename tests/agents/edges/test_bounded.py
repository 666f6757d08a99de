"""Records within the broker's limits: oversized payloads go to blobs, never stop a loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest

from agents import drift_monitor
from agents.edges.blobs import FileBlobs
from agents.edges.bounded import (
    BoundedPublisher,
    RecordLimits,
    bound,
    original_payload,
    record_size,
)
from agents.edges.bus_fake import InMemoryBus
from agents.edges.kafka import Destinations, KafkaBus, Outgoing, consume_batches, make_consumer
from core.config import KafkaSettings
from core.contracts import Contract
from core.errors import RecordTooLargeError, StoreError
from core.models import AlertRaised, DeadLetter, Detection, HeldEvent
from tools.monitoring.dataset_monitor import DatasetMonitor

TO = Destinations()
SMALL = RecordLimits(max_bytes=10_000, preview_chars=100, fallback_bytes=2_000)


def _letter(raw: bytes) -> DeadLetter:
    return DeadLetter.of_payload(raw, topic="orders", offset=3, reason="bad", error_type="E")


def test_blobs_are_kept_once_and_checked_on_read(tmp_path: Path) -> None:
    blobs = FileBlobs(tmp_path)
    ref = blobs.put(b"payload")
    assert blobs.put(b"payload") == ref and ref.startswith("blob:sha256:")
    assert blobs.get(ref) == b"payload"
    [stored] = [p for p in tmp_path.rglob("*") if p.is_file()]
    stored.write_bytes(b"tampered")
    with pytest.raises(StoreError, match="does not match its checksum"):
        blobs.get(ref)
    with pytest.raises(StoreError, match="not a blob reference"):
        blobs.get("../../etc/passwd")


def test_a_small_record_passes_unchanged(tmp_path: Path) -> None:
    message = TO.outgoing(_letter(b"{}"))
    assert bound([message], FileBlobs(tmp_path), TO, SMALL) == [message]


def test_an_oversized_dead_letter_keeps_its_reason_and_a_preview_and_its_payload_aside(
    tmp_path: Path,
) -> None:
    blobs = FileBlobs(tmp_path)
    raw = b"x" * 50_000
    [out] = bound([TO.outgoing(_letter(raw))], blobs, TO, SMALL)
    letter = out.event
    assert isinstance(letter, DeadLetter) and out.topic == "orders.dlq"
    assert record_size(out) <= SMALL.max_bytes
    assert (letter.reason, letter.offset, letter.payload_bytes) == ("bad", 3, 50_000)
    assert letter.value == "x" * 100
    assert letter.payload_ref is not None and blobs.get(letter.payload_ref) == raw


def test_the_original_payload_comes_back_exactly_from_text_base64_or_blob(tmp_path: Path) -> None:
    blobs = FileBlobs(tmp_path)
    small, binary, large = b'{"n": 1}', b"\xff\x00{", b"y" * 50_000
    assert original_payload(_letter(small), blobs) == small
    assert original_payload(_letter(binary), blobs) == binary
    [out] = bound([TO.outgoing(_letter(large))], blobs, TO, SMALL)
    assert isinstance(out.event, DeadLetter) and out.event.value != large.decode()
    assert original_payload(out.event, blobs) == large


def test_control_bytes_that_grow_when_escaped_are_measured_as_sent(tmp_path: Path) -> None:
    raw = b"\x01" * 3_000  # 3 kB of bytes, 18 kB of JSON escapes
    [out] = bound([TO.outgoing(_letter(raw))], FileBlobs(tmp_path), TO, SMALL)
    assert isinstance(out.event, DeadLetter) and out.event.payload_ref is not None
    assert record_size(out) <= SMALL.max_bytes


def test_an_oversized_quarantine_copy_becomes_a_dead_letter_of_its_dataset(tmp_path: Path) -> None:
    blobs = FileBlobs(tmp_path)
    raw = orjson.dumps({"id": "o1", "note": "y" * 40_000})
    held = HeldEvent(kind="quarantine", dataset="orders", value=raw, key=b"o1")
    [out] = bound([TO.outgoing(held)], blobs, TO, SMALL)
    assert out.topic == "orders.dlq" and out.key == b"o1"
    assert isinstance(out.event, DeadLetter) and out.event.error_type == "RecordTooLargeError"
    assert out.event.payload_ref is not None and blobs.get(out.event.payload_ref) == raw


def test_an_oversized_alert_is_kept_whole_as_a_dead_letter(tmp_path: Path) -> None:
    blobs = FileBlobs(tmp_path)
    detections = [Detection(kind="add", field=f"f{n}") for n in range(400)]
    alert = AlertRaised(source="t", category="drift", dataset="orders", detections=detections)
    [out] = bound([TO.outgoing(alert)], blobs, TO, SMALL)
    assert out.topic == "suture.alerts.dlq"
    assert isinstance(out.event, DeadLetter) and out.event.payload_ref is not None
    assert AlertRaised.model_validate_json(blobs.get(out.event.payload_ref)) == alert


class _TopicLimit(InMemoryBus):
    """A bus whose topics refuse records over `limit` bytes, as a broker's max.message.bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    async def publish_all(self, messages: Sequence[Outgoing]) -> None:
        if any(record_size(m) > self.limit for m in messages):
            raise RecordTooLargeError("MessageSizeTooLargeError")
        await super().publish_all(messages)


async def test_a_topic_with_a_lower_limit_gets_the_fallback_size(tmp_path: Path) -> None:
    bus = _TopicLimit(limit=3_000)
    publisher = BoundedPublisher(bus, FileBlobs(tmp_path), TO, SMALL)
    await publisher.publish_all([TO.outgoing(_letter(b"z" * 5_000))])
    [sent] = bus.on("orders.dlq")
    assert len(sent.value) <= SMALL.fallback_bytes
    assert DeadLetter.model_validate_json(sent.value).payload_bytes == 5_000


# --- hostile events through a real monitor loop on the real broker ---------------------------

MakeTopic = Callable[..., Awaitable[str]]
ReadBack = Callable[[str, int], Awaitable[list[Any]]]
FIELDS = [
    {"name": "id", "type": "string", "required": True},
    {"name": "amount", "type": "integer", "required": True},
]


def _nested(depth: int) -> bytes:
    """An event nested `depth` levels deep (written by hand: JSON encoders refuse it)."""
    return (
        b'{"id": "deep", "amount": 1, "payload": ' + b'{"n": ' * depth + b"1" + b"}" * depth + b"}"
    )


@pytest.mark.kafka
async def test_hostile_events_are_dead_lettered_whole_and_the_next_event_is_handled(
    tmp_path: Path,
    kafka_bootstrap: str,
    kafka_settings: KafkaSettings,
    consumer_options: Mapping[str, int],
    new_topic: MakeTopic,
    read_back: ReadBack,
) -> None:
    topic = await new_topic("hostile", suffixes=(".dlq", ".quarantine"))
    hostile = [
        b"\xff not json " * 400_000,  # 5 MB, not JSON, not UTF-8
        b"\x01\x02\x03" * 70_000,  # 200 kB of control bytes: 1.2 MB once escaped
        orjson.dumps({"id": 7, "amount": "w" * 2_000_000}),  # 2 MB, breaks the contract
        orjson.dumps({"id": "wide", "amount": 1, **{f"k{n}": n for n in range(20_000)}}),
        _nested(500),
    ]
    good = orjson.dumps({"id": "o1", "amount": 5})
    async with KafkaBus(kafka_bootstrap, max_request_size=8_000_000) as producer:
        await producer.publish_all([Outgoing(topic, raw) for raw in [*hostile, good]])

    contract = Contract(dataset=topic, fields=FIELDS, key="id", on_violation="quarantine")
    seen: list[list[int]] = []

    class _Ledger:
        async def save_samples(self, *args: Any) -> bool:
            return True

        async def save_alert(self, alert: AlertRaised) -> bool:
            return True

    deps = drift_monitor.Deps(
        monitor=DatasetMonitor(contract), ledger=_Ledger(), clock=lambda: 1000.0
    )

    async def handle(records: list[Any]) -> Any:
        seen.append([r.offset for r in records])
        return await drift_monitor.handle_batch(records, deps=deps)

    blobs = FileBlobs(tmp_path / "blobs")
    to = Destinations()
    async with KafkaBus(kafka_bootstrap) as bus:
        publisher = BoundedPublisher(bus, blobs, to)
        consumer = make_consumer(
            kafka_bootstrap, [topic], "suture.hostile", kafka_settings,
            max_partition_fetch_bytes=16_000_000, fetch_max_bytes=64_000_000, **consumer_options,
        )  # fmt: skip
        handled = await consume_batches(
            consumer, handle, publisher, destinations=to, limit=6, max_records=10
        )
    assert handled == 6 and 5 in [o for batch in seen for o in batch]  # the good event too

    letters = [DeadLetter.model_validate_json(r.value) for r in await read_back(topic + ".dlq", 5)]
    by_offset = {letter.offset: letter for letter in letters if letter.offset is not None}
    assert sorted(by_offset) == [0, 1, 3, 4]
    assert "nested deeper than 64 levels" in by_offset[4].reason
    assert "more than 5000 fields" in by_offset[3].reason
    for offset in (0, 1):  # too large to travel: a preview here, the whole payload in a blob
        letter = by_offset[offset]
        assert letter.payload_ref is not None
        assert blobs.get(letter.payload_ref) == hostile[offset]
    # The 2 MB event that broke the contract: its quarantine copy did not fit, so it is a
    # dead letter of the dataset that keeps the bytes whole.
    [too_large] = [letter for letter in letters if letter.offset is None]
    assert too_large.error_type == "RecordTooLargeError" and too_large.payload_ref is not None
    assert blobs.get(too_large.payload_ref) == hostile[2]

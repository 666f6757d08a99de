"""End offsets that count every record: the Fetch request asked and the answers read (the
calls against real brokers are in tests/integration/test_lag_live.py, on both engines)."""

from __future__ import annotations

from aiokafka import TopicPartition

from agents.edges.high_watermarks import fetch_topics, high_watermarks


def test_a_fetch_asks_one_byte_of_each_partition_at_its_offset_grouped_by_topic() -> None:
    offsets = {
        TopicPartition("orders", 1): 7,
        TopicPartition("alerts", 0): 0,
        TopicPartition("orders", 0): 12,
    }
    assert fetch_topics(offsets) == [
        ("alerts", [(0, 0, 1)]),
        ("orders", [(0, 12, 1), (1, 7, 1)]),
    ]


def test_high_watermarks_are_read_from_every_layout_of_a_fetch_answer() -> None:
    version_4 = ("orders", [(0, 0, 8, 8, [], b"")])  # index, error, high watermark, LSO, ...
    version_11 = ("alerts", [(2, 0, 31, 31, 0, [], -1, b"batch")])  # + log start, replica
    assert high_watermarks([version_4, version_11]) == {
        TopicPartition("orders", 0): 8,
        TopicPartition("alerts", 2): 31,
    }


def test_partitions_answered_with_an_error_or_no_watermark_are_left_out() -> None:
    answer = [
        ("orders", [(0, 29, -1, -1, [], b""), (1, 1, -1, -1, [], b""), (2, 0, -1, -1, [], b"")]),
        ("alerts", [(0, 0, 4, 4, [], b"")]),
    ]
    assert high_watermarks(answer) == {TopicPartition("alerts", 0): 4}

"""Rate-limited logs: a flood of one message becomes a few lines and a count."""

from __future__ import annotations

import logging

from suture.log_limits import RateLimit


def _record(msg: str, *args: object, level: int = logging.WARNING) -> logging.LogRecord:
    return logging.LogRecord("aiokafka", level, __file__, 1, msg, args, None)


def test_lets_a_burst_through_then_counts_what_it_held_back() -> None:
    now = [0.0]
    limit = RateLimit(burst=3, window_s=10, clock=lambda: now[0])
    passed = [limit.filter(_record("connect to %s failed", n)) for n in range(300)]
    assert passed.count(True) == 3 and passed[:3] == [True] * 3
    now[0] = 10.0
    record = _record("connect to %s failed", "b1")
    assert limit.filter(record)
    assert record.getMessage() == "connect to b1 failed (297 similar messages suppressed)"


def test_different_messages_and_levels_have_their_own_budget() -> None:
    limit = RateLimit(burst=1, window_s=60, clock=lambda: 0.0)
    assert limit.filter(_record("a"))
    assert not limit.filter(_record("a"))
    assert limit.filter(_record("b"))
    assert limit.filter(_record("a", level=logging.ERROR))

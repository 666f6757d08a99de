"""Tests for Burrow's lag evaluation rules over windows of offset samples."""

from __future__ import annotations

from tools.monitoring.lag import LagSample, evaluate_lag, lag_detections


def _window(rows: list[tuple[float, int, int]], partition: int = 0) -> list[LagSample]:
    return [LagSample(t=t, partition=partition, end=end, committed=c) for t, end, c in rows]


def _status(rows: list[tuple[float, int, int]], now: float | None = None) -> str:
    [report] = evaluate_lag(_window(rows), now=now)
    return report.status


def test_lag_reaching_zero_in_the_window_is_ok() -> None:
    assert _status([(0, 100, 90), (60, 120, 120), (120, 150, 130)]) == "OK"


def test_committed_offset_that_never_moves_with_lag_is_stall() -> None:
    assert _status([(0, 100, 90), (60, 160, 90), (120, 220, 90)]) == "STALL"


def test_stall_even_when_the_producer_is_idle() -> None:
    assert _status([(0, 100, 90), (60, 100, 90), (120, 100, 90)]) == "STALL"


def test_lag_that_never_decreases_while_committing_is_warn() -> None:
    assert _status([(0, 100, 90), (60, 200, 150), (120, 300, 200), (180, 400, 290)]) == "WARN"


def test_lag_that_sometimes_decreases_is_ok() -> None:
    assert _status([(0, 100, 90), (60, 200, 150), (120, 300, 280), (180, 400, 330)]) == "OK"


def test_committed_offset_going_backwards_is_err() -> None:
    assert _status([(0, 100, 90), (60, 200, 150), (120, 300, 120)]) == "ERR"


def test_no_commit_for_longer_than_the_window_is_stop() -> None:
    rows = [(0, 100, 90), (60, 200, 150), (120, 300, 200)]
    assert _status(rows, now=250) == "STOP"
    assert _status(rows, now=230) == "WARN"


def test_stop_uses_commit_times_when_known() -> None:
    samples = [
        LagSample(t=0, end=100, committed=90, committed_at=0),
        LagSample(t=60, end=160, committed=90, committed_at=0),
        LagSample(t=120, end=220, committed=90, committed_at=0),
    ]
    [report] = evaluate_lag(samples)
    assert report.status == "STOP"


def test_stop_is_not_raised_when_the_consumer_caught_up() -> None:
    assert _status([(0, 100, 100), (60, 100, 100)], now=1000) == "OK"


def test_committed_offset_ahead_of_the_end_counts_as_no_lag() -> None:
    samples = _window([(0, 100, 101), (60, 100, 101)])
    assert [(r.status, r.lag) for r in evaluate_lag(samples)] == [("OK", 0)]


def test_single_sample_is_incomplete_and_ok() -> None:
    [report] = evaluate_lag(_window([(0, 100, 10)]))
    assert (report.status, report.complete) == ("OK", False)


def test_lag_seconds_come_from_the_produce_rate() -> None:
    [report] = evaluate_lag(_window([(0, 100, 90), (60, 160, 90)]))
    assert (report.lag, report.produce_rate, report.seconds) == (70, 1.0, 70.0)


def test_lag_seconds_without_production_count_time_since_progress() -> None:
    [report] = evaluate_lag(_window([(0, 100, 80), (60, 100, 90), (120, 100, 90), (180, 100, 90)]))
    assert report.seconds == 120.0


def test_reports_trend_of_the_lag() -> None:
    growing = evaluate_lag(_window([(0, 100, 90), (60, 200, 150), (120, 300, 200)]))[0]
    shrinking = evaluate_lag(_window([(0, 300, 100), (60, 310, 200), (120, 320, 300)]))[0]
    flat = evaluate_lag(_window([(0, 100, 90), (60, 200, 190), (120, 300, 290)]))[0]
    assert (growing.trend, shrinking.trend, flat.trend) == ("growing", "shrinking", "flat")


def test_judges_each_partition_on_its_own_last_window() -> None:
    healthy = _window([(t, 100 + t, 100 + t) for t in range(0, 1200, 60)], partition=1)
    stalled = _window([(t, 100 + t, 50) for t in range(0, 1200, 60)], partition=0)
    recovered = _window(
        [(t, 100, 10 * t) for t in range(0, 120, 60)] + [(200, 100, 100)], partition=2
    )
    reports = evaluate_lag([*healthy, *stalled, *recovered], window=10)
    assert [(r.partition, r.status) for r in reports] == [(0, "STALL"), (1, "OK"), (2, "OK")]


def test_detections_only_for_partitions_not_ok() -> None:
    samples = [
        *_window([(0, 100, 90), (60, 160, 90)], partition=0),
        *_window([(0, 100, 100), (60, 160, 160)], partition=1),
    ]
    [found] = lag_detections(samples)
    assert (found.kind, found.status, found.partition, found.seconds) == ("lag", "STALL", 0, 70.0)


def test_samples_without_a_commit_are_ignored() -> None:
    samples = [LagSample(t=0, end=100), *_window([(60, 160, 150), (120, 200, 200)])]
    assert [r.status for r in evaluate_lag(samples)] == ["OK"]


def test_partition_whose_samples_end_early_has_stopped() -> None:
    samples = [
        *_window([(0, 100, 90), (60, 160, 150), (120, 220, 200)], partition=0),
        *_window([(0, 100, 90), (60, 160, 150), (120, 220, 160), (300, 400, 330)], partition=1),
    ]
    assert [(r.partition, r.status) for r in evaluate_lag(samples)] == [(0, "STOP"), (1, "WARN")]

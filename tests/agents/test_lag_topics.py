"""The lag monitor watches a configured list of topics, or the contracted ones: never a scan of
every topic of the cluster."""

from __future__ import annotations

from typing import Any

from agents.edges.kafka import Destinations
from agents.main import _lag_loops
from core.config import load_settings


def _watched(settings: Any, datasets: list[str]) -> dict[str, Any]:
    loops = _lag_loops(settings, "h:9092", None, None, Destinations(), datasets)  # type: ignore[arg-type]
    return {name: loop.keywords["topics"] for name, loop in loops.items()}


def test_by_default_the_contracted_topics_and_their_replays_are_watched() -> None:
    settings = load_settings(lag={"groups": ["shop.pipeline", "billing"]})
    assert _watched(settings, ["orders", "payments"]) == {
        "lag_monitor:shop.pipeline": ("orders", "orders.replay", "payments", "payments.replay"),
        "lag_monitor:billing": ("orders", "orders.replay", "payments", "payments.replay"),
    }


def test_configured_topics_win() -> None:
    settings = load_settings(lag={"groups": ["g"], "topics": ["clicks"]})
    assert _watched(settings, ["orders"]) == {"lag_monitor:g": ("clicks",)}


def test_no_group_no_lag_monitor() -> None:
    assert _watched(load_settings(), ["orders"]) == {}

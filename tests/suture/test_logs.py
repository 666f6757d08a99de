"""Log lines: JSON with the event's fields when not on a terminal."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from agents.edges.announce import Announcer
from core.models import AlertRaised, Detection
from suture.logs import EVENT_LOGGERS, configure_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger back as pytest had it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    events = [logging.getLogger(name).level for name in EVENT_LOGGERS]
    yield
    for name, old in zip(EVENT_LOGGERS, events, strict=True):
        logging.getLogger(name).setLevel(old)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


async def test_an_alert_is_one_json_line_when_not_on_a_terminal(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, force=True)
    alert = AlertRaised(
        source="m", category="drift", dataset="orders", detections=[Detection(kind="rename")]
    )
    await Announcer("http://x").announce(alert)
    logging.getLogger("some.library").info("not shown below WARNING")
    [line] = stream.getvalue().splitlines()
    record = json.loads(line)
    assert (record["kind"], record["subject"], record["dataset"]) == (
        "alert",
        alert.event_id,
        "orders",
    )
    assert record["level"] == "INFO" and record["logger"] == "suture.events"

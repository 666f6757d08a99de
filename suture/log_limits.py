"""Rate-limited logging: a flood of the same message (a broker gone, a loop crashing) becomes a
few lines and a count, so the log stays readable and the disk stays free."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

Key = tuple[str, int, str]


@dataclass
class _Window:
    started: float
    passed: int = 0
    suppressed: int = 0


class RateLimit(logging.Filter):
    """Let through at most `burst` records per `window_s` for each (logger, level, message
    template); the first record after a window that suppressed some says how many."""

    def __init__(
        self, burst: int = 5, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.burst, self.window_s, self._clock = burst, window_s, clock
        self._windows: dict[Key, _Window] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """True to emit `record`."""
        now = self._clock()
        key = (record.name, record.levelno, str(record.msg))
        window = self._windows.get(key)
        if window is None or now - window.started >= self.window_s:
            suppressed = window.suppressed if window else 0
            window = self._windows[key] = _Window(started=now)
            if suppressed:
                record.msg = f"{record.msg} ({suppressed} similar messages suppressed)"
        if window.passed >= self.burst:
            window.suppressed += 1
            return False
        window.passed += 1
        if len(self._windows) > 10_000:  # many distinct templates: forget the oldest windows
            for old in sorted(self._windows, key=lambda k: self._windows[k].started)[:5_000]:
                del self._windows[old]
        return True


def rate_limit_root_handlers(burst: int = 5, window_s: float = 60.0) -> None:
    """Install one RateLimit on every handler of the root logger."""
    limit = RateLimit(burst, window_s)
    for handler in logging.getLogger().handlers:
        handler.addFilter(limit)

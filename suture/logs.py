"""Log set-up for the command line: one line per record, JSON when stderr is not a terminal.

suture's own event lines (`suture.events`: alerts, proposals, incidents, applies;
`suture.review`: decisions, replays, releases, sign-ins) are shown at INFO; everything else
at WARNING unless --verbose.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

EVENT_LOGGERS = ("suture.events", "suture.review")
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(
    verbose: bool = False, stream: TextIO | None = None, *, force: bool = False
) -> logging.Handler | None:
    """Install one handler on the root logger and return it.

    Like logging.basicConfig, nothing changes when the root logger has handlers already (an
    embedding application's, or pytest's) unless `force` is set.
    """
    root = logging.getLogger()
    if root.handlers and not force:
        return None
    out = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(out)
    if out.isatty():
        handler.setFormatter(logging.Formatter(_TEXT))
    else:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    for old in [h for h in root.handlers if getattr(h, "suture", False)]:
        root.removeHandler(old)  # ours from an earlier call; other handlers stay
    handler.suture = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    for name in EVENT_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.INFO)
    return handler

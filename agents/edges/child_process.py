"""What the processes suture starts beside itself share: they die with suture, and a pidfile lets
the next run reap one an earlier run left behind."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

logger = logging.getLogger(__name__)


def die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook that kills the child if this process dies, even by SIGKILL (Linux)."""
    # PR_SET_PDEATHSIG follows the *thread* that forked, so only use it from the main thread.
    if (
        not sys.platform.startswith("linux")
        or threading.current_thread() is not threading.main_thread()
    ):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork: no dlsym in child

    def hook() -> None:
        prctl(1, signal.SIGKILL)  # 1 == PR_SET_PDEATHSIG

    return hook


def write_pidfile(path: Path, pid: int, command: Sequence[str]) -> None:
    """Record `pid` and the start of its `command` (enough to recognise it later)."""
    path.write_text("\n".join([str(pid), *command]) + "\n", encoding="utf-8")


def reap_orphan(path: Path, what: str) -> None:
    """Kill the process the pidfile at `path` names if it still runs the recorded command (its
    parent died by SIGKILL before it could stop it), so no orphan holds the port or the data."""
    try:
        pid_text, *command = path.read_text(encoding="utf-8").splitlines()
        pid = int(pid_text)
        running = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        path.unlink(missing_ok=True)
        return
    wanted = [part.encode() for part in command if part]
    if wanted and running[: len(wanted)] == wanted:
        logger.warning("killing an orphaned %s (pid %d) of an earlier run", what, pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _wait_gone(pid)
    path.unlink(missing_ok=True)


def _wait_gone(pid: int, timeout_s: float = 5.0) -> None:
    """Wait (bounded) until `pid` has died, so it writes nothing after its successor starts."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state in ("Z", "X"):  # dead, only waiting for its parent to collect it
            return
        time.sleep(0.01)

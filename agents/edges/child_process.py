"""What the processes suture starts beside itself share (the embedded broker and its object
store): they die with suture, their output goes to a log file, a pidfile lets the next run reap
one an earlier run left behind, and they are stopped by a signal, then killed if they ignore it.
`ChildService` is one such process."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

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


def free_port() -> int:
    """A loopback port no one listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ChildService:
    """One process suture runs beside itself: its output appended to `log_path`, its pid in
    `pid_path` while it runs, stopped with `stop_signal` and killed if it has not exited
    `stop_timeout_s` later. `what` names it in logs."""

    def __init__(
        self,
        what: str,
        log_path: Path,
        pid_path: Path,
        *,
        stop_signal: signal.Signals = signal.SIGTERM,
        stop_timeout_s: float = 5.0,
    ) -> None:
        self.what, self.log_path, self.pid_path = what, log_path, pid_path
        self.stop_signal, self.stop_timeout_s = stop_signal, stop_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The process id while it was started and not stopped."""
        return None if self._process is None else self._process.pid

    @property
    def started(self) -> bool:
        """True from `spawn` until `stop`, whether or not the process still lives."""
        return self._process is not None

    @property
    def running(self) -> bool:
        """True while the process lives."""
        return self._process is not None and self._process.poll() is None

    def exit_status(self) -> int | None:
        """The exit status once the process has exited (None while it runs or was not started)."""
        return None if self._process is None else self._process.poll()

    def reap_orphan(self) -> None:
        """Kill the process an earlier run left behind (see `reap_orphan`)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        reap_orphan(self.pid_path, self.what)

    def spawn(
        self,
        command: Sequence[str],
        *,
        recognised_by: int,
        env: Mapping[str, str],
        cwd: Path | None = None,
    ) -> None:
        """Run `command`, recording its first `recognised_by` words in the pidfile; call from the
        main thread, so the child dies with this process. OSError when it cannot run."""
        self._log = self.log_path.open("ab")
        try:
            self._process = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=dict(env),
                cwd=cwd,
                preexec_fn=die_with_parent(),
                # Its own session: a Ctrl-C in the terminal reaches suture, which stops its
                # consumers first and its services last, instead of killing them under it.
                start_new_session=True,
            )
        except OSError:
            self.stop()
            raise
        atexit.register(self.stop)
        write_pidfile(self.pid_path, self._process.pid, command[:recognised_by])

    def kill(self) -> None:
        """Kill the process with SIGKILL, as a crash would; `stop` still has to be called."""
        if self._process is not None:
            self._process.kill()

    def stop(self) -> None:
        """Signal the process, kill it if it does not exit in time, remove its pidfile and
        close its log."""
        process, self._process = self._process, None
        atexit.unregister(self.stop)
        try:
            if process is not None and process.poll() is None:
                process.send_signal(self.stop_signal)
                try:
                    process.wait(self.stop_timeout_s)
                except subprocess.TimeoutExpired:
                    logger.warning(
                        "%s pid %d ignored %s for %s s; killing it",
                        self.what,
                        process.pid,
                        self.stop_signal.name,
                        self.stop_timeout_s,
                    )
                    process.kill()
                    process.wait()
        finally:
            if process is not None:
                self.pid_path.unlink(missing_ok=True)
            if self._log is not None:
                self._log.close()
                self._log = None

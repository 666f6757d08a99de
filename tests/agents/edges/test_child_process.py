"""A service suture runs beside itself (the embedded broker, its object store): logged, named in a
pidfile while it runs, stopped by its signal or killed, and reaped when a run left it behind."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pytest

from agents.edges.child_process import ChildService

# Says it is up, ignores SIGTERM, and waits.
STUBBORN = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('up', flush=True)\n"
    "time.sleep(60)\n"
)


def _service(
    tmp_path: Path, *, stop_signal: signal.Signals = signal.SIGTERM, stop_timeout_s: float = 5.0
) -> ChildService:
    return ChildService(
        "test service",
        tmp_path / "svc.log",
        tmp_path / "svc.pid",
        stop_signal=stop_signal,
        stop_timeout_s=stop_timeout_s,
    )


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _wait_for(text: str, log: Path) -> None:
    deadline = time.monotonic() + 10
    while text not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_service_is_named_in_its_pidfile_while_it_runs_and_logs_its_output(
    tmp_path: Path,
) -> None:
    service = _service(tmp_path, stop_signal=signal.SIGINT)
    service.spawn([sys.executable, "-c", STUBBORN], recognised_by=2, env={})
    pid = service.pid
    assert pid is not None and service.running and service.started
    assert service.pid_path.read_text().splitlines() == [str(pid), sys.executable, "-c"]
    _wait_for("up", service.log_path)
    service.stop()  # SIGINT: the default Python handler ends it at once
    assert not _alive(pid) and not service.pid_path.exists() and service.pid is None
    assert service.log_path.read_text().startswith("up\n")


def test_a_service_that_ignores_its_stop_signal_is_killed_in_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service = _service(tmp_path, stop_timeout_s=0.3)
    service.spawn([sys.executable, "-c", STUBBORN], recognised_by=2, env={})
    _wait_for("up", service.log_path)
    pid = service.pid
    started = time.monotonic()
    service.stop()
    assert pid is not None and not _alive(pid) and time.monotonic() - started < 5
    assert "test service pid" in caplog.text and "ignored SIGTERM for 0.3 s" in caplog.text
    assert service.exit_status() is None and not service.started


def test_a_service_left_behind_by_an_earlier_run_is_reaped(tmp_path: Path) -> None:
    earlier = _service(tmp_path)
    earlier.spawn([sys.executable, "-c", STUBBORN], recognised_by=2, env={})
    orphan = earlier.pid
    assert orphan is not None
    later = _service(tmp_path)  # a new run on the same folder; the earlier one died by SIGKILL
    later.reap_orphan()
    assert not _alive(orphan) and not later.pid_path.exists()
    earlier.stop()


def test_a_pidfile_naming_another_program_is_removed_without_killing_it(tmp_path: Path) -> None:
    service = _service(tmp_path)
    service.spawn([sys.executable, "-c", STUBBORN], recognised_by=2, env={})
    pid = service.pid
    assert pid is not None
    service.pid_path.write_text(f"{pid}\nsome-other-program\n")  # the pid was reused
    _service(tmp_path).reap_orphan()
    assert _alive(pid) and not service.pid_path.exists()
    service.stop()
    assert not _alive(pid)


def test_a_command_that_cannot_run_raises_and_leaves_no_pidfile(tmp_path: Path) -> None:
    service = _service(tmp_path)
    with pytest.raises(OSError):
        service.spawn([str(tmp_path / "no-such-program")], recognised_by=1, env={})
    assert not service.started and not service.pid_path.exists()
    service.stop()  # nothing to stop: no error

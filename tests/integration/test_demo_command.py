"""`suture demo` as a person runs it: a separate process, approval by the printed curl, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.kafka, pytest.mark.integration]
SUTURE = [sys.executable, "-m", "suture.cli", "demo"]


def _start(workdir: Path) -> subprocess.Popen[str]:
    """The demo with its workdir given as a person gives it: relative to where they stand."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUTURE_")}
    return subprocess.Popen(
        [*SUTURE, "--workdir", workdir.name],
        cwd=workdir.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def _read_until(process: subprocess.Popen[str], marker: str, lines: list[str]) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + 90
    for line in process.stdout:
        lines.append(line)
        if marker in line:
            return
        assert time.monotonic() < deadline, "".join(lines)
    pytest.fail(f"demo ended before {marker!r}:\n{''.join(lines)}")


def _reap(process: subprocess.Popen[str]) -> None:
    """Kill (if still running), wait for and close the demo process, even when the test failed:
    left to the garbage collector, it fails a later test with unraisable ResourceWarnings."""
    process.kill()
    process.wait(timeout=30)
    if process.stdout is not None:
        process.stdout.close()


def _broker_running(port: str) -> bool:
    found = subprocess.run(["pgrep", "-f", f"tansu.*127.0.0.1:{port}"], capture_output=True)
    return found.returncode == 0


def test_a_reviewer_approves_with_the_printed_curl_command(tmp_path: Path) -> None:
    process, lines = _start(tmp_path / "work"), []
    try:
        _read_until(process, "waiting for your approval", lines)
        text = "".join(lines)
        token = re.search(r"Bearer ([\w-]+)'", text)
        url = re.search(r"(http://127\.0\.0\.1:\d+/api/proposals/\w+/approve)", text)
        assert token and url, text
        wrong = httpx.post(url.group(1), headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        approved = httpx.post(url.group(1), headers={"Authorization": f"Bearer {token.group(1)}"})
        assert approved.status_code == 200, approved.text
        out, _ = process.communicate(timeout=90)
    finally:
        _reap(process)
    assert process.returncode == 0, text + out
    assert "HEALED: no event lost or duplicated" in out


def test_ctrl_c_stops_every_process_suture_started(tmp_path: Path) -> None:
    process, lines = _start(tmp_path / "work"), []
    try:
        _read_until(process, "waiting for your approval", lines)
        port = re.search(r"Kafka at 127\.0\.0\.1:(\d+)", "".join(lines))
        assert port and _broker_running(port.group(1))
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=60)
    finally:
        _reap(process)
    assert process.returncode == 130, out
    assert "everything suture started was stopped" in out
    assert not _broker_running(port.group(1))

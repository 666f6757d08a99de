"""`suture up` as a person runs it: start-up problems are one line on stderr."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.kafka, pytest.mark.integration]


def _empty_repo(path: Path) -> Path:
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "models").mkdir()  # models, but no contracts/ folder
    (path / "models" / "stg_orders.sql").write_text("select order_id, amount from orders\n")
    subprocess.run(["git", "-C", str(path), "add", "."], check=True)
    subprocess.run(
        ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
        check=True,
    )
    return path


def _up(repo: Path, workdir: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUTURE_")}
    env["SUTURE_WEB_PORT"] = str(port)
    return subprocess.Popen(
        [sys.executable, "-m", "suture.cli", "up", "--repo", str(repo), "--workdir", str(workdir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_web_port_in_use_stops_suture_up_with_one_line(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path / "repo")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        process = _up(repo, tmp_path / "work", taken.getsockname()[1])
        _, err = process.communicate(timeout=120)
    assert process.returncode == 2, err
    assert err.strip().count("\n") == 0 and "Traceback" not in err, err
    assert "SUTURE_WEB_PORT" in err


def test_a_repo_without_contracts_warns_that_nothing_is_watched(tmp_path: Path) -> None:
    repo = _empty_repo(tmp_path / "repo")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = _up(repo, tmp_path / "work", port)
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 120
        for line in process.stdout:
            if "review at" in line or time.monotonic() > deadline:
                break
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert "no topic is watched" in err and "contracts infer" in err, err
    assert "Traceback" not in err, err

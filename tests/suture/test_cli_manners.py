"""Setting errors are one line that names the setting and says what to do."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from agents.main import _free_port
from core.errors import ConfigError
from suture.cli import main
from suture.commands.up import contracts_warning


def test_non_json_lag_groups_is_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SUTURE_LAG_GROUPS", "shop.pipeline")
    assert main(["up", "--repo", "."]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert "SUTURE_LAG_" in err and "SUTURE_LAG_GROUPS='[" in err


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUTURE_LAG_GROUPS", "shop.pipeline")
    with pytest.raises(Exception, match="not valid JSON"):
        main(["--debug", "up", "--repo", "."])


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    return err


def test_a_missing_repo_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("SUTURE_REPO", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["up"]) == 2
    err = _one_line(capsys)
    assert "setting repo is missing" in err and "--repo DIR" in err
    assert main(["up", "--repo", str(tmp_path / "nowhere")]) == 2
    assert "is not a directory" in _one_line(capsys)
    assert main(["up", "--repo", str(tmp_path)]) == 2
    err = _one_line(capsys)
    assert "is not a git repository" in err and "GitPipelineRepo" not in err


def test_a_repo_without_contracts_warns_that_nothing_is_watched(tmp_path: Path) -> None:
    warning = contracts_warning({}, tmp_path, None)
    assert warning is not None and "no topic is watched" in warning
    assert str(tmp_path / "contracts") in warning and "contracts infer" in warning
    assert contracts_warning({"orders": object()}, tmp_path, None) is None


def test_contracts_infer_names_the_variable_that_works(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SUTURE_KAFKA_BOOTSTRAP", raising=False)
    assert main(["contracts", "infer", "orders"]) == 2
    err = _one_line(capsys)
    assert "SUTURE_KAFKA_BOOTSTRAP" in err and "__" not in err


def test_a_web_port_in_use_is_one_line_naming_the_setting() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as raised:
            _free_port("127.0.0.1", port)
    message = str(raised.value)
    assert f"web port {port}" in message and "SUTURE_WEB_PORT" in message
    assert "\n" not in message

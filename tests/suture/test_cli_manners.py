"""Setting errors are one line that names the setting and says what to do."""

from __future__ import annotations

import pytest

from suture.cli import main


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

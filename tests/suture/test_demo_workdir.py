"""The demo starts from a clean slate: its repository, store and embedded broker log are reset,
the broker's pidfiles are kept so an orphan of an earlier run is still reaped."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings
from suture.demo import _fresh_workdir


def test_the_demo_resets_the_embedded_broker_log_but_keeps_its_pidfiles(tmp_path: Path) -> None:
    broker = tmp_path / "broker"
    (broker / "data" / "tansu").mkdir(parents=True)
    (broker / "data" / "tansu" / "f.meta.json").write_text("{}")
    (broker / "broker.pid").write_text("1\nbinary\nbroker\n")
    (broker / "object-store.pid").write_text("2\npython\n")
    (tmp_path / "suture.db").write_text("old store")
    repo = _fresh_workdir(Settings(workdir=tmp_path))
    assert not (broker / "data").exists()
    assert (broker / "broker.pid").exists() and (broker / "object-store.pid").exists()
    assert not (tmp_path / "suture.db").exists() and (repo / ".git").exists()

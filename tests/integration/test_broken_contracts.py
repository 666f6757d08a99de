"""A broken contract file: a clear message, a dead-letter record, the other topics still watched."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from agents.edges.git_repo import GitPipelineRepo
from agents.main import running
from core.config import KafkaSettings, Settings

pytestmark = [pytest.mark.kafka, pytest.mark.integration]
SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


async def test_a_broken_contract_is_dead_lettered_and_the_rest_still_watched(
    tmp_path: Path, own_bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    template = tmp_path / "template"
    shutil.copytree(SHOP, template)
    (template / "contracts" / "payments.yaml").write_text(
        "dataset: payments\nfields:\n  - {name: id, type: strng}\n"
    )
    repo = GitPipelineRepo.create(template, tmp_path / "repo")
    settings = Settings(workdir=tmp_path / "work", kafka=KafkaSettings(bootstrap=own_bootstrap))
    with caplog.at_level(logging.ERROR, logger="agents.main"):
        async with running(settings, repo.path) as live:
            letters = await live.store.list_dead_letters("contracts")
            assert list(live.contracts) == ["orders"]
    [letter] = letters
    assert letter.error_type == "ContractError"
    assert letter.key is not None and letter.key.endswith("payments.yaml")
    assert "line 3" in letter.reason and "strng" in letter.value
    assert list(live.broken_contracts) == [letter.key]
    assert "contract file left out" in caplog.text

"""The repository view the healer asks on every alert: read again only when a file changed."""

from __future__ import annotations

from pathlib import Path

from agents.edges.contracts_overlay import ContractsOverlay
from agents.edges.git_repo import GitPipelineRepo

SHOP = Path(__file__).resolve().parents[3] / "examples" / "shop"


async def test_reads_again_only_when_a_file_changed(tmp_path: Path) -> None:
    repo = GitPipelineRepo.create(SHOP, tmp_path / "repo")
    view = ContractsOverlay(repo, None)
    first, contracts = await view.snapshot()
    again, _ = await view.snapshot()
    assert again is first  # nothing changed: the cached pipeline
    (repo.path / "models" / "stg_orders.sql").write_text("select order_id from orders\n")
    changed, _ = await view.snapshot()
    assert changed.models["stg_orders"].startswith("select order_id from orders")
    contracts.clear()  # a caller's copy: the cache keeps its own
    assert "orders" in (await view.snapshot())[1]


async def test_a_contracts_folder_of_its_own_is_watched_too(tmp_path: Path) -> None:
    repo = GitPipelineRepo.create(SHOP, tmp_path / "repo")
    folder = tmp_path / "contracts"
    folder.mkdir()
    view = ContractsOverlay(repo, folder)
    assert (await view.snapshot())[1] == {}
    source = (repo.path / "contracts" / "orders.yaml").read_text()
    (folder / "orders.yaml").write_text(source)
    assert list((await view.snapshot())[1]) == ["orders"]

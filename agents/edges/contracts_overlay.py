"""The pipeline and its contracts as suture watches them: read again only when a file changed,
and leniently, so one broken contract file is reported and dead-lettered, never fatal."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from agents.edges.git_repo import GitPipelineRepo
from agents.edges.pipeline_files import read_contract_folder, read_pipeline_dir
from agents.edges.store import Store
from core.contracts import Contract, Pipeline
from core.models import DeadLetter

_log = logging.getLogger(__name__)


class ContractsOverlay:
    """The repository's models, with contracts from a folder of their own when one is given.

    Contracts are read leniently: a broken file is left out (and reported by `broken()`), so one
    bad file does not stop the watch over every other topic.
    """

    def __init__(self, repo: GitPipelineRepo, contracts_dir: Path | None) -> None:
        self._repo, self._dir = repo, contracts_dir
        self._cached: tuple[_Fingerprint, Pipeline, dict[str, Contract], dict[str, str]] | None
        self._cached = None

    async def snapshot(self) -> tuple[Pipeline, dict[str, Contract]]:
        pipeline, contracts, _ = await self._read()
        return pipeline, contracts

    async def revision(self) -> str:
        """The repository's main commit (read it before `snapshot`)."""
        return await self._repo.revision()

    async def broken(self) -> dict[str, str]:
        """Contract file -> why it could not be read."""
        return (await self._read())[2]

    async def _read(self) -> tuple[Pipeline, dict[str, Contract], dict[str, str]]:
        """Read the files again only when one changed (every alert asks; reading them all took
        about 16 ms, most of a cheap alert's time)."""
        roots = [self._repo.path] + ([self._dir] if self._dir is not None else [])
        key = await asyncio.to_thread(_fingerprint, roots)
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1], dict(self._cached[2]), dict(self._cached[3])
        files = await asyncio.to_thread(read_pipeline_dir, self._repo.path, lenient=True)
        contracts, broken = dict(files.contracts), dict(files.broken_contracts)
        if self._dir is not None:
            contracts, broken = await asyncio.to_thread(read_contract_folder, self._dir)
        self._cached = (key, files.pipeline, contracts, broken)
        return files.pipeline, dict(contracts), dict(broken)


_Fingerprint = tuple[tuple[str, int, int], ...]


# Folders no pipeline file lives in: VCS data, dbt's build output and packages, dependencies.
_NOT_READ = frozenset({"target", "dbt_packages", "node_modules", "logs", "__pycache__"})


def _fingerprint(roots: Sequence[Path]) -> _Fingerprint:
    """(path, size, mtime) of every file under `roots` (but hidden and build folders): changes
    when any file does."""
    found: list[tuple[str, int, int]] = []
    for root in roots:
        for folder, subfolders, names in os.walk(root):
            subfolders[:] = [d for d in subfolders if not d.startswith(".") and d not in _NOT_READ]
            for name in names:
                stat = os.stat(os.path.join(folder, name))
                found.append((os.path.join(folder, name), stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(found))


async def dead_letter_broken_contracts(view: ContractsOverlay, store: Store) -> dict[str, str]:
    """Say clearly which contract files were left out, and keep a dead-letter record of each."""
    broken = await view.broken()
    for path, reason in broken.items():
        _log.error("contract file left out, its topic is not watched: %s", reason)
        try:
            raw = await asyncio.to_thread(Path(path).read_bytes)
            text = raw[:100_000].decode("utf-8", errors="replace")
        except OSError:
            text = ""
        letter = DeadLetter(
            topic="contracts", key=path, value=text, reason=reason, error_type="ContractError"
        )
        await store.save_dead_letter(letter)
    return broken

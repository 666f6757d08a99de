"""RecentKeys: a bounded memory of recent unique-key values, to catch replays across batches."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from core.contracts import Contract
from core.models import Detection, Evidence
from tools.profiling.value_encoding import canonical, value_hash

WINDOW = 100_000  # keys remembered per field


class RecentKeys:
    """Hashes of the last `size` values of one field; counts values seen again."""

    def __init__(self, size: int = WINDOW) -> None:
        self.size = size
        self._order: deque[int] = deque()
        self._seen: set[int] = set()

    def repeats(self, values: Iterable[object]) -> int:
        """How many of `values` were seen before (earlier batches or earlier in this one).

        >>> keys = RecentKeys(size=2)
        >>> keys.repeats(["a", "b"]), keys.repeats(["b", "c", "c"]), keys.repeats(["a"])
        (0, 2, 0)
        """
        found = 0
        for value in values:
            if value is None:
                continue
            digest = value_hash(canonical(value))
            if digest in self._seen:
                found += 1
                continue
            self._seen.add(digest)
            self._order.append(digest)
            if len(self._order) > self.size:
                self._seen.discard(self._order.popleft())
        return found


def replayed_keys(
    contract: Contract, events: Sequence[Mapping[str, object]], windows: dict[str, RecentKeys]
) -> list[Detection]:
    """Duplicates detections for the contract's unique fields whose values repeat."""
    found = []
    for spec in contract.fields:
        if not spec.unique or "." in spec.name:
            continue
        window = windows.setdefault(spec.name, RecentKeys())
        count = window.repeats(event.get(spec.name) for event in events)
        if count:
            note = f"{spec.name}: {count} values already seen in the last {window.size} keys"
            evidence = Evidence(count=count, total=len(events), note=note)
            found.append(Detection(kind="duplicates", field=spec.name, evidence=evidence))
    return found

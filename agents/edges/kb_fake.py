"""InMemoryKnowledgeBase: the KnowledgeBase port's fake, with real similarity ranking."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agents.edges.embeddings import HashingEmbeddingFunction
from core.ports import RejectedFix, VerifiedFix


class InMemoryKnowledgeBase:
    """Verified fixes in a dict; `similar` ranks by cosine similarity of hashed embeddings."""

    def __init__(self, embedder: HashingEmbeddingFunction | None = None) -> None:
        self._embedder = embedder if embedder is not None else HashingEmbeddingFunction()
        self._fixes: dict[str, VerifiedFix] = {}
        self._rejected: dict[str, RejectedFix] = {}
        self.lookups: list[str] = []

    def __len__(self) -> int:
        """How many fixes are recorded."""
        return len(self._fixes)

    async def lookup(self, signature: str) -> VerifiedFix | None:
        """The verified fix recorded for exactly this signature, if any."""
        self.lookups.append(signature)
        return self._fixes.get(signature)

    async def similar(self, text: str, limit: int = 3) -> Sequence[VerifiedFix]:
        """Verified fixes most similar in meaning to `text`, best first."""
        if not self._fixes or limit <= 0:
            return []
        fixes = list(self._fixes.values())
        query = np.asarray(self._embedder.embed_texts([text])[0])
        vectors = np.asarray(self._embedder.embed_texts([f.summary for f in fixes]))
        scores = vectors @ query
        # Stable sort: ties keep recording order, like an index scan would.
        order = sorted(range(len(fixes)), key=lambda i: -float(scores[i]))
        return [fixes[i] for i in order[:limit]]

    async def record(self, fix: VerifiedFix) -> None:
        """Store a verified fix; recording the same signature again replaces it (idempotent)."""
        self._fixes[fix.signature] = fix

    async def record_rejection(self, rejection: RejectedFix) -> None:
        """Keep a rejected proposal and its reason (idempotent on the proposal id)."""
        self._rejected[rejection.proposal_id] = rejection

    async def rejections(self, signature: str) -> Sequence[RejectedFix]:
        """Rejections of proposals for drifts with this signature, oldest first."""
        found = [r for r in self._rejected.values() if r.signature == signature]
        return sorted(found, key=lambda r: r.rejected_at)

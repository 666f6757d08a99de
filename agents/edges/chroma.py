"""The KnowledgeBase port over chromadb: verified fixes by signature (the cache) and by meaning.

Each fix is one record: id = its signature, document = its summary (what is embedded), and the
whole VerifiedFix as JSON in the metadata. Every blocking chromadb call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.config import Settings as ChromaSettings
from pydantic import ValidationError

from agents.edges.embeddings import HashingEmbeddingFunction, embedding_function
from core.config import LLMSettings
from core.errors import ConfigError, RepoError
from core.ports import RejectedFix, VerifiedFix

COLLECTION_PREFIX = "suture-verified-fixes"
REJECTIONS_PREFIX = "suture-rejected-fixes"
_FIX_KEY = "fix_json"


def chroma_settings() -> ChromaSettings:
    """chromadb settings with telemetry off: suture never phones home."""
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def collection_name(embedder: EmbeddingFunction[Documents], prefix: str = COLLECTION_PREFIX) -> str:
    """A collection per embedder configuration, so vectors of different sizes never mix."""
    config = json.dumps(embedder.get_config(), sort_keys=True)
    digest = hashlib.sha256(f"{embedder.name()}|{config}".encode()).hexdigest()[:8]
    return f"{prefix}-{embedder.name()}-{digest}"


def _decode(metadata: Any) -> VerifiedFix:
    raw = metadata.get(_FIX_KEY) if isinstance(metadata, dict) else None
    if not isinstance(raw, str):
        raise RepoError("a knowledge base record has no stored fix; rebuild the knowledge base")
    try:
        return VerifiedFix.model_validate_json(raw)
    except ValidationError as error:
        raise RepoError(
            f"a stored fix does not match VerifiedFix ({error.error_count()} problems); "
            "rebuild the knowledge base"
        ) from error


class ChromaKnowledgeBase:
    """Verified fixes in a chromadb collection: exact lookup by signature, similarity by summary."""

    def __init__(
        self,
        client: ClientAPI,
        embedder: EmbeddingFunction[Documents] | None = None,
        *,
        prefix: str = COLLECTION_PREFIX,
    ) -> None:
        self._embedder = embedder if embedder is not None else HashingEmbeddingFunction()
        self._collection: Collection = client.get_or_create_collection(
            name=collection_name(self._embedder, prefix),
            # Its default space (cosine) is used; chromadb types the function over a wider input.
            embedding_function=self._embedder,  # type: ignore[arg-type]
        )
        self._rejected: Collection = client.get_or_create_collection(
            name=collection_name(self._embedder, REJECTIONS_PREFIX),
            embedding_function=self._embedder,  # type: ignore[arg-type]
        )

    @property
    def collection(self) -> Collection:
        """The chromadb collection the fixes live in."""
        return self._collection

    def _lookup(self, signature: str) -> VerifiedFix | None:
        found = self._collection.get(ids=[signature], include=["metadatas"])
        metadatas = found.get("metadatas") or []
        return _decode(metadatas[0]) if metadatas else None

    async def lookup(self, signature: str) -> VerifiedFix | None:
        """The verified fix recorded for exactly this signature, if any."""
        return await asyncio.to_thread(self._lookup, signature)

    def _similar(self, text: str, limit: int) -> list[VerifiedFix]:
        count = self._collection.count()
        if count == 0 or limit <= 0:
            return []
        found = self._collection.query(
            query_texts=[text], n_results=min(limit, count), include=["metadatas"]
        )
        rows = (found.get("metadatas") or [[]])[0]
        return [_decode(metadata) for metadata in rows]

    async def similar(self, text: str, limit: int = 3) -> Sequence[VerifiedFix]:
        """Verified fixes most similar in meaning to `text`, best first."""
        return await asyncio.to_thread(self._similar, text, limit)

    def _record(self, fix: VerifiedFix) -> None:
        self._collection.upsert(
            ids=[fix.signature],
            documents=[fix.summary],
            metadatas=[
                {
                    "signature": fix.signature,
                    "dataset": fix.dataset,
                    "proposal_id": fix.proposal_id,
                    _FIX_KEY: fix.model_dump_json(),
                }
            ],
        )

    async def record(self, fix: VerifiedFix) -> None:
        """Store a verified fix; recording the same signature again replaces it (idempotent)."""
        await asyncio.to_thread(self._record, fix)

    def _record_rejection(self, rejection: RejectedFix) -> None:
        self._rejected.upsert(
            ids=[rejection.proposal_id],
            documents=[rejection.reason],
            metadatas=[
                {
                    "signature": rejection.signature,
                    "at": rejection.rejected_at.timestamp(),
                    _FIX_KEY: rejection.model_dump_json(),
                }
            ],
        )

    async def record_rejection(self, rejection: RejectedFix) -> None:
        """Keep a rejected proposal and its reason (idempotent on the proposal id)."""
        await asyncio.to_thread(self._record_rejection, rejection)

    def _rejections(self, signature: str) -> list[RejectedFix]:
        found = self._rejected.get(where={"signature": signature}, include=["metadatas"])
        rows = [RejectedFix.model_validate_json(str(m[_FIX_KEY])) for m in found["metadatas"] or []]
        return sorted(rows, key=lambda r: r.rejected_at)

    async def rejections(self, signature: str) -> Sequence[RejectedFix]:
        """Rejections of proposals for drifts with this signature, oldest first."""
        return await asyncio.to_thread(self._rejections, signature)


def build_knowledge_base(path: Path | None, llm: LLMSettings) -> ChromaKnowledgeBase:
    """A persistent knowledge base in `path` (in memory when None), embedding as `llm` says."""
    try:
        client = (
            chromadb.EphemeralClient(settings=chroma_settings())
            if path is None
            else chromadb.PersistentClient(path=str(path), settings=chroma_settings())
        )
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot open the knowledge base at {str(path)!r}: {error}") from error
    return ChromaKnowledgeBase(client, embedding_function(llm))

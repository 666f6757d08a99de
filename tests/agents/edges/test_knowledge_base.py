"""Contract tests of the KnowledgeBase port, run against the in-memory fake and chromadb."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import chromadb
import pytest

from agents.edges.chroma import ChromaKnowledgeBase, build_knowledge_base, chroma_settings
from agents.edges.kb_fake import InMemoryKnowledgeBase
from core.config import LLMSettings
from core.models import FieldMapping, ModelPatch, SchemaMapping
from core.ports import KnowledgeBase, VerifiedFix
from tests.fixtures.fake_openai import FakeOpenAI


def make_fix(signature: str, dataset: str, summary: str, source: str, target: str) -> VerifiedFix:
    """A verified fix renaming `source` to `target` in one model."""
    return VerifiedFix(
        signature=signature,
        dataset=dataset,
        summary=summary,
        mapping=SchemaMapping(entries=[FieldMapping(source=source, target=target)]),
        patches=[
            ModelPatch(
                model=f"stg_{dataset}",
                path=f"models/stg_{dataset}.sql",
                before_sql=f"select {source} from {dataset}",
                after_sql=f"select {target} as {source} from {dataset}",
            )
        ],
        proposal_id=f"p-{signature}",
        applied_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


RENAME = make_fix(
    "sig-rename",
    "orders",
    "orders: producer renamed cust_id to customer_id; models now read customer_id",
    "cust_id",
    "customer_id",
)
UNIT = make_fix(
    "sig-unit",
    "payments",
    "payments: amount changed unit from cents to dollars; multiply by 100",
    "amount_cents",
    "amount * 100",
)
NESTING = make_fix(
    "sig-nesting",
    "users",
    "users: city moved into the nested address object as address.city",
    "city",
    "address.city",
)


def _chroma(tmp_path: Path) -> KnowledgeBase:
    return ChromaKnowledgeBase(chromadb.PersistentClient(str(tmp_path), settings=chroma_settings()))


FACTORIES: dict[str, Callable[[Path], KnowledgeBase]] = {
    "in_memory": lambda _: InMemoryKnowledgeBase(),
    "chroma": _chroma,
}


@pytest.fixture(params=sorted(FACTORIES))
async def kb(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[KnowledgeBase]:
    yield FACTORIES[request.param](tmp_path)


class TestKnowledgeBaseContract:
    """What every KnowledgeBase does: exact cache by signature, similarity by meaning."""

    async def test_lookup_of_an_unknown_signature_is_none(self, kb: KnowledgeBase) -> None:
        assert await kb.lookup("nothing-here") is None

    async def test_records_and_looks_up_a_fix_unchanged(self, kb: KnowledgeBase) -> None:
        await kb.record(RENAME)
        assert await kb.lookup(RENAME.signature) == RENAME
        assert await kb.lookup(UNIT.signature) is None

    async def test_recording_twice_keeps_one_fix_and_the_latest_wins(
        self, kb: KnowledgeBase
    ) -> None:
        await kb.record(RENAME)
        await kb.record(RENAME)
        newer = RENAME.model_copy(update={"proposal_id": "p-newer"})
        await kb.record(newer)
        assert await kb.lookup(RENAME.signature) == newer
        assert list(await kb.similar("anything", limit=10)) == [newer]

    async def test_similar_on_an_empty_base_is_empty(self, kb: KnowledgeBase) -> None:
        assert list(await kb.similar("cust_id renamed")) == []

    async def test_similar_ranks_the_fix_about_the_same_change_first(
        self, kb: KnowledgeBase
    ) -> None:
        for fix in (UNIT, RENAME, NESTING):
            await kb.record(fix)
        found = await kb.similar("orders producer renamed field cust_id to customer_number", 2)
        assert len(found) == 2
        assert found[0].signature == "sig-rename"
        nested = await kb.similar("the city field is now nested under address", 1)
        assert [f.signature for f in nested] == ["sig-nesting"]

    async def test_similar_returns_at_most_what_is_stored(self, kb: KnowledgeBase) -> None:
        await kb.record(UNIT)
        assert [f.signature for f in await kb.similar("cents to dollars", limit=5)] == ["sig-unit"]


async def test_chroma_knowledge_base_persists_across_clients(tmp_path: Path) -> None:
    settings = LLMSettings()
    await build_knowledge_base(tmp_path, settings).record(RENAME)
    reopened = build_knowledge_base(tmp_path, settings)
    assert await reopened.lookup(RENAME.signature) == RENAME


async def test_chroma_knowledge_base_embeds_through_the_endpoint_when_configured(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    kb = build_knowledge_base(tmp_path, fake_openai.settings(embedding_model="fake-embed"))
    await kb.record(RENAME)
    await kb.record(UNIT)
    [found] = await kb.similar("cents became dollars", limit=1)
    assert found.signature == "sig-unit"
    inputs = [body["input"] for body in fake_openai.embedding_requests]
    assert [RENAME.summary] in inputs
    assert ["cents became dollars"] in inputs
    assert all(body["model"] == "fake-embed" for body in fake_openai.embedding_requests)
    fake_openai.assert_complete()

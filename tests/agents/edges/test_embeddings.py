"""Tests of the offline hashing embeddings and the endpoint embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from agents.edges.embeddings import (
    EndpointEmbeddingFunction,
    HashingEmbeddingFunction,
    embedding_function,
)
from core.errors import LLMUnavailableError
from tests.fixtures.fake_openai import EMBEDDING_DIMENSIONS, FakeOpenAI


def _cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b))


def test_hashing_embeddings_are_deterministic_unit_vectors() -> None:
    embedder = HashingEmbeddingFunction(dimensions=128)
    first = embedder.embed_texts(["cust_id renamed to customer_id"])
    again = HashingEmbeddingFunction(dimensions=128).embed_texts(["cust_id renamed to customer_id"])
    assert first == again
    assert len(first[0]) == 128
    assert np.linalg.norm(first[0]) == pytest.approx(1.0)


def test_text_without_words_embeds_as_the_zero_vector() -> None:
    [vector] = HashingEmbeddingFunction(dimensions=16).embed_texts(["  --  "])
    assert vector == [0.0] * 16


def test_related_texts_are_closer_than_unrelated_ones() -> None:
    embedder = HashingEmbeddingFunction()
    rename, similar, other = embedder.embed_texts(
        [
            "producer renamed cust_id to customer_id",
            "field customerId renamed from custId",
            "consumer lag stalled on partition 3",
        ]
    )
    assert _cosine(rename, similar) > _cosine(rename, other) + 0.1


def test_hashing_embeddings_follow_the_chromadb_protocol() -> None:
    embedder = HashingEmbeddingFunction(dimensions=32)
    assert not embedder.is_legacy()
    rebuilt = HashingEmbeddingFunction.build_from_config(embedder.get_config())
    assert rebuilt.dimensions == 32
    [vector] = embedder(["a b c"])
    assert vector.shape == (32,)
    assert embedder.default_space() == "cosine"


def test_too_few_dimensions_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 8"):
        HashingEmbeddingFunction(dimensions=2)


def test_endpoint_embeddings_come_from_the_server_in_order(fake_openai: FakeOpenAI) -> None:
    embedder = EndpointEmbeddingFunction(fake_openai.base_url, "fake-embed", timeout_s=5)
    vectors = embedder(["first text", "second text"])
    expected = HashingEmbeddingFunction(EMBEDDING_DIMENSIONS).embed_texts(
        ["first text", "second text"]
    )
    np.testing.assert_allclose(np.asarray(vectors), np.asarray(expected), atol=1e-6)
    [request] = fake_openai.embedding_requests
    assert request["model"] == "fake-embed"
    assert request["input"] == ["first text", "second text"]
    assert embedder.embed_texts([]) == []
    assert "api_key" not in embedder.get_config()
    assert not embedder.is_legacy()
    fake_openai.assert_complete()


def test_unreachable_embedding_endpoint_is_unavailable() -> None:
    embedder = EndpointEmbeddingFunction("http://127.0.0.1:9/v1", "fake-embed", timeout_s=5)
    with pytest.raises(LLMUnavailableError):
        embedder.embed_texts(["x"])


def test_embedding_function_uses_the_endpoint_only_with_an_embedding_model(
    fake_openai: FakeOpenAI,
) -> None:
    assert isinstance(embedding_function(fake_openai.settings()), HashingEmbeddingFunction)
    configured = embedding_function(fake_openai.settings(embedding_model="fake-embed"))
    assert isinstance(configured, EndpointEmbeddingFunction)
    assert configured.model == "fake-embed"

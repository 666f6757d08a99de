"""Embedding functions for the knowledge base that never download anything.

chromadb's default embedding function fetches an ONNX model at run time, which fails offline.
`HashingEmbeddingFunction` embeds text locally (feature hashing of words, word pairs and
character n-grams); `EndpointEmbeddingFunction` calls the configured OpenAI-compatible
/v1/embeddings when `LLMSettings.embedding_model` is set. Both follow chromadb's
EmbeddingFunction protocol (name, get_config, build_from_config) and are registered with it.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import openai
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from core.config import LLMSettings
from core.errors import LLMRejectedError, LLMUnavailableError

DEFAULT_DIMENSIONS = 384
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _words(text: str) -> list[str]:
    """Lower-case words; snake_case and camelCase identifiers are split into their parts."""
    return _WORD.findall(_CAMEL.sub(" ", text).lower())


def _features(text: str) -> Counter[str]:
    """Words, adjacent word pairs and character 3- to 5-grams of each word."""
    words = _words(text)
    features: Counter[str] = Counter(f"w:{w}" for w in words)
    features.update(f"p:{a} {b}" for a, b in itertools.pairwise(words))
    for word in words:
        padded = f"<{word}>"
        for size in (3, 4, 5):
            features.update(f"c:{padded[i : i + size]}" for i in range(len(padded) - size + 1))
    return features


@register_embedding_function
class HashingEmbeddingFunction(EmbeddingFunction[Documents]):
    """Deterministic local embeddings: signed feature hashing, sublinear counts, L2-normalized."""

    def __init__(self, dimensions: int = DEFAULT_DIMENSIONS) -> None:
        if dimensions < 8:
            raise ValueError(f"dimensions must be at least 8, got {dimensions}")
        self.dimensions = dimensions

    def embed_texts(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector per text (the zero vector for text without words)."""
        return [self._embed(text).tolist() for text in texts]

    def _embed(self, text: str) -> np.ndarray[Any, np.dtype[np.float32]]:
        vector = np.zeros(self.dimensions, dtype=np.float32)
        for feature, count in _features(text).items():
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            number = int.from_bytes(digest, "little")
            sign = 1.0 if number & 1 else -1.0
            vector[(number >> 1) % self.dimensions] += sign * (1.0 + math.log(count))
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector

    def __call__(self, input: Documents) -> Embeddings:
        """chromadb's entry point: embed documents."""
        return [self._embed(text) for text in input]

    @staticmethod
    def name() -> str:
        """The name chromadb stores in the collection configuration."""
        return "suture-hashing"

    def default_space(self) -> Space:
        """Vectors are unit length, so cosine distance ranks by shared features."""
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        """What chromadb persists to rebuild this function."""
        return {"dimensions": self.dimensions}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashingEmbeddingFunction:
        """Rebuild from get_config()."""
        return HashingEmbeddingFunction(dimensions=int(config["dimensions"]))


@register_embedding_function
class EndpointEmbeddingFunction(EmbeddingFunction[Documents]):
    """Embeddings from an OpenAI-compatible /v1/embeddings endpoint (no client-side retries)."""

    def __init__(
        self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 30.0
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.timeout_s = timeout_s
        # Local servers ignore the key, but the client insists on one.
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "unused", timeout=timeout_s, max_retries=0
        )

    def embed_texts(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order; endpoint failures become LLM errors."""
        if not texts:
            return []
        try:
            answer = self._client.embeddings.create(
                model=self.model, input=list(texts), encoding_format="float"
            )
        except (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError) as e:
            raise LLMUnavailableError(
                f"the embedding endpoint is unavailable ({type(e).__name__}); check it is running"
            ) from e
        except openai.APIStatusError as e:
            raise LLMRejectedError(
                f"the embedding endpoint refused the request with HTTP {e.status_code}; "
                "check SUTURE_LLM_EMBEDDING_MODEL"
            ) from e
        ordered = sorted(answer.data, key=lambda item: item.index)
        return [list(item.embedding) for item in ordered]

    def __call__(self, input: Documents) -> Embeddings:
        """chromadb's entry point: embed documents."""
        return [np.asarray(v, dtype=np.float32) for v in self.embed_texts(list(input))]

    @staticmethod
    def name() -> str:
        """The name chromadb stores in the collection configuration."""
        return "suture-endpoint"

    def default_space(self) -> Space:
        """Cosine suits embedding models whose vectors are not unit length."""
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        """What chromadb persists (never the API key)."""
        return {"base_url": self.base_url, "model": self.model, "timeout_s": self.timeout_s}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> EndpointEmbeddingFunction:
        """Rebuild from get_config(); without a key, which local servers do not need."""
        return EndpointEmbeddingFunction(
            base_url=str(config["base_url"]),
            model=str(config["model"]),
            timeout_s=float(config.get("timeout_s", 30.0)),
        )


def embedding_function(settings: LLMSettings) -> EmbeddingFunction[Documents]:
    """The endpoint's embeddings when an embedding model is configured, else local hashing."""
    if settings.base_url is not None and settings.embedding_model is not None:
        key = settings.api_key.get_secret_value() if settings.api_key is not None else None
        return EndpointEmbeddingFunction(
            settings.base_url, settings.embedding_model, key, settings.timeout_s
        )
    return HashingEmbeddingFunction()

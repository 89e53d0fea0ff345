"""Test doubles shared by several test modules (import as ``from fakes import …``)."""
from __future__ import annotations

import hashlib

import numpy as np


class CharacterEmbedder:
    """Fake embedder: a normalised bag of hashed characters, so shared characters mean similarity."""

    name = "fake-chars"
    dim = 32

    def embed_queries(self, texts):
        return self.embed_passages(texts)

    def embed_passages(self, texts):
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for char in text:
                vectors[row, int(hashlib.md5(char.encode()).hexdigest(), 16) % self.dim] += 1.0
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)

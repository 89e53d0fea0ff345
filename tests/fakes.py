"""Test doubles shared by several test modules (import as ``from fakes import …``)."""
from __future__ import annotations

import hashlib
from pathlib import Path

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


class FixedSpanReader:
    """Fake reader: answers the first occurrence of ``span`` in the hits it is given, with
    ``score``; records how many hits each call read."""

    def __init__(self, span: str, score: float) -> None:
        self.span, self.score, self.read_counts = span, score, []

    def read(self, question, hits, retrieval_weight):
        from rag.models import Answer

        self.read_counts.append(len(hits))
        for hit in hits:
            at = hit.passage.text.find(self.span)
            if at >= 0:
                start = hit.passage.start + at
                return Answer(
                    self.span, hit.passage.text, hit.passage.doc_id, hit.passage.source,
                    hit.passage.passage_id, start, start + len(self.span),
                    hit.passage.start, hit.passage.end, self.score,
                )
        return None


def write_articles(folder: Path, articles: dict[str, str]) -> Path:
    """A corpus folder holding ``articles`` (file name → text)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder

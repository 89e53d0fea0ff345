"""Hybrid passage retrieval: ``Retriever.search(query, k, mode, filters) -> list[Hit]``.

BM25 over jieba tokens and FAISS over embeddings (of passages and of their sentences) each
return ``config.candidates`` passages; ``rag.retrieval.fusion.fuse`` merges the two rankings. ``mode``
picks one ranker alone ("lexical", "semantic") or both ("hybrid"). Filters narrow the
candidates to documents, newspapers or a date range before the top ``k`` are cut.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from rag.config import Config
from rag.embedding.embedders import Embedder
from rag.retrieval.fusion import fuse
from rag.index.store import StoredIndex
from rag.models import Document, Hit, SearchFilters
from rag.text.normalize import normalize

MODES = ("hybrid", "lexical", "semantic")


class Retriever:
    """Searches one loaded index; read-only after construction, so safe to share between threads."""

    def __init__(self, index: StoredIndex, embedder: Embedder, config: Config) -> None:
        self.index = index
        self.embedder = embedder
        self.config = config
        self._documents = {document.doc_id: document for document in index.documents}
        # The same questions come again (example buttons, popular questions, follow-ups asked
        # twice); embedding one costs ~18 ms of CPU, far more than the rest of retrieval.
        self._query_vector = lru_cache(maxsize=config.query_vector_cache_size)(self._embed_query)

    def query_vector(self, query: str) -> np.ndarray:
        """``query`` embedded as a question (1 × dim, read-only; recent ones are cached)."""
        # Passages are simplified Chinese; a traditional query embeds closer to them once converted.
        return self._query_vector(normalize(query))

    def search(
        self,
        query: str,
        k: int,
        mode: str = "hybrid",
        filters: SearchFilters | None = None,
    ) -> list[Hit]:
        """The ``k`` best passages for ``query``."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}.")
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}.")
        allowed = self._allowed(filters)
        if allowed is not None and not allowed:
            return []
        # With a filter, look deeper so that k allowed passages survive the cut.
        depth = self.config.candidates if allowed is None else len(self.index.passages)
        depth = max(depth, k)
        lexical = self._lexical(query, depth) if mode != "semantic" else []
        if mode != "lexical":
            dense = self._dense(self.query_vector(query), depth)
        else:
            dense = []
        if allowed is not None:
            lexical = [(i, s) for i, s in lexical if i in allowed]
            dense = [(i, s) for i, s in dense if i in allowed]
        if mode == "lexical":
            ranking = lexical
        elif mode == "semantic":
            ranking = dense
        else:
            ranking = fuse(
                lexical,
                dense,
                method=self.config.fusion_method,
                rrf_k=self.config.fusion_rrf_k,
                lexical_weight=self.config.fusion_lexical_weight,
            )
        lexical_scores, dense_scores = dict(lexical), dict(dense)
        return [
            Hit(
                passage=self.index.passages[i],
                score=float(score),
                lexical=lexical_scores.get(i),
                dense=dense_scores.get(i),
            )
            for i, score in ranking[:k]
        ]

    def _lexical(self, query: str, depth: int) -> list[tuple[int, float]]:
        ids, scores = self.index.lexical.search(self.index.tokenizer.tokenize(query), depth)
        return [(int(i), float(s)) for i, s in zip(ids, scores)]

    def _dense(self, vector: np.ndarray, depth: int) -> list[tuple[int, float]]:
        """The ``depth`` passages closest to ``vector``, each scored by the better of its own
        vector's and its best sentence's similarity among the sentences searched."""
        scores, ids = self.index.dense.search(vector, depth)
        best = {int(i): float(s) for i, s in zip(ids[0], scores[0]) if i >= 0}
        scores, ids = self.index.sentences.search(vector, depth * self.config.sentences_per_candidate)
        for i, score in zip(ids[0], scores[0]):
            if i >= 0:
                row = int(self.index.sentence_passages[i])
                best[row] = max(best.get(row, -1.0), float(score))
        return sorted(best.items(), key=lambda item: item[1], reverse=True)[:depth]

    def _embed_query(self, normalized_query: str) -> np.ndarray:
        vector = self.embedder.embed_queries([normalized_query])
        vector.setflags(write=False)  # shared by every later search for the same question
        return vector

    def _allowed(self, filters: SearchFilters | None) -> set[int] | None:
        """Row numbers of the passages the filters let through; ``None`` when nothing filters."""
        if filters is None or filters == SearchFilters():
            return None
        return {
            row
            for row, passage in enumerate(self.index.passages)
            if _passes(self._documents[passage.doc_id], filters)
        }


def _passes(document: Document, filters: SearchFilters) -> bool:
    if filters.doc_ids and document.doc_id not in filters.doc_ids:
        return False
    if filters.newspapers and document.newspaper not in filters.newspapers:
        return False
    if filters.date_from is not None and (document.date is None or document.date < filters.date_from):
        return False
    if filters.date_to is not None and (document.date is None or document.date > filters.date_to):
        return False
    return True


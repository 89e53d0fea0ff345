"""Hybrid passage retrieval: ``Retriever.search(query, k, mode, filters) -> list[Hit]``.

A ``PassageStore`` (local FAISS + bm25s, or Milvus) ranks by BM25 and by embeddings (of
passages and of their sentences); each ranking brings ``config.candidates`` passages;
``rag.retrieval.fusion.fuse`` merges the two rankings. ``mode`` picks one ranker alone ("lexical", "semantic") or both ("hybrid"). Filters narrow the
candidates to documents, newspapers or a date range (in the store) before the top ``k`` are cut.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from rag.config import Config
from rag.embedding.embedders import Embedder
from rag.retrieval.fusion import fuse
from rag.index.passage_store import PassageStore, unfiltered
from rag.models import Hit, SearchFilters
from rag.text.normalize import normalize

MODES = ("hybrid", "lexical", "semantic")


class Retriever:
    """Searches one loaded index; read-only after construction, so safe to share between threads."""

    def __init__(self, store: PassageStore, embedder: Embedder, config: Config) -> None:
        self.store = store
        self.embedder = embedder
        self.config = config
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
        # With a filter, look deeper so that k allowed passages survive the cut.
        depth = self.config.candidates if unfiltered(filters) else len(self.store.passages)
        depth = max(depth, k)
        lexical = self.store.lexical_search(query, depth, filters) if mode != "semantic" else []
        if mode != "lexical":
            dense = self.store.dense_search(self.query_vector(query), depth, filters)
        else:
            dense = []
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
                passage=self.store.passages[i],
                score=float(score),
                lexical=lexical_scores.get(i),
                dense=dense_scores.get(i),
            )
            for i, score in ranking[:k]
        ]

    def _embed_query(self, normalized_query: str) -> np.ndarray:
        vector = self.embedder.embed_queries([normalized_query])
        vector.setflags(write=False)  # shared by every later search for the same question
        return vector

"""What retrieval needs from an index, whichever holds it: ``PassageStore``; ``LocalPassageStore(index)``.

A store ranks passages two ways, each returning ``(passage row, score)`` pairs, best first:
``lexical_search`` (BM25) and ``dense_search`` (a passage scores the better of its own vector's
and its best sentence's similarity). Both honour ``SearchFilters``. The local store answers from
the FAISS and bm25s files of an index directory; ``rag.index.milvus.MilvusPassageStore`` asks
Milvus. Fusion, cut and ``Hit``s stay in ``rag.retrieval.retriever``, the same for both.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol

import numpy as np

from rag.config import Config
from rag.index.store import Manifest, StoredIndex
from rag.models import Document, Passage, SearchFilters
from rag.text.tokenization import Tokenizer

Ranking = list[tuple[int, float]]


class PassageStore(Protocol):
    """The passages of one index and the two rankers over them; read-only, shareable by threads."""

    manifest: Manifest
    documents: tuple[Document, ...]
    passages: tuple[Passage, ...]  # row i is passage i of every ranking
    tokenizer: Tokenizer  # our jieba tokens: citations pick quotes by them

    def lexical_search(self, query: str, depth: int, filters: SearchFilters | None) -> Ranking:
        """Up to ``depth`` passages sharing a BM25 term with ``query``, best first."""
        ...

    def dense_search(self, vector: np.ndarray, depth: int, filters: SearchFilters | None) -> Ranking:
        """Up to ``depth`` passages closest to ``vector`` (1 × dim, unit length), best first."""
        ...


def best_per_passage(
    passage_hits: Iterable[tuple[int, float]],
    sentence_hits: Iterable[tuple[int, float]],
    depth: int,
) -> Ranking:
    """Passage rows scored by the better of their own and their sentences' scores, top ``depth``.

    ``sentence_hits`` pairs are ``(passage row of the sentence, score)``. Equal scores keep the
    order met (passage hits first), so both stores rank alike.
    """
    best = dict(passage_hits)
    for row, score in sentence_hits:
        best[row] = max(best.get(row, -1.0), score)
    return sorted(best.items(), key=lambda item: item[1], reverse=True)[:depth]


def unfiltered(filters: SearchFilters | None) -> bool:
    return filters is None or filters == SearchFilters()


def passes(document: Document, filters: SearchFilters) -> bool:
    """Whether ``document`` is among those ``filters`` let through."""
    if filters.doc_ids and document.doc_id not in filters.doc_ids:
        return False
    if filters.newspapers and document.newspaper not in filters.newspapers:
        return False
    if filters.date_from is not None and (document.date is None or document.date < filters.date_from):
        return False
    if filters.date_to is not None and (document.date is None or document.date > filters.date_to):
        return False
    return True


class LocalPassageStore:
    """An index directory loaded by ``rag.index.store.load_index``: bm25s and FAISS in process.

    With filters, each ranker searches ``depth`` passages and drops those filtered out.
    """

    def __init__(self, index: StoredIndex, config: Config) -> None:
        self.index = index
        self.config = config
        self.manifest = index.manifest
        self.documents = index.documents
        self.passages = index.passages
        self.tokenizer = index.tokenizer
        documents = {document.doc_id: document for document in index.documents}
        self._allowed = lru_cache(maxsize=64)(
            lambda filters: frozenset(
                row
                for row, passage in enumerate(index.passages)
                if passes(documents[passage.doc_id], filters)
            )
        )

    def lexical_search(self, query: str, depth: int, filters: SearchFilters | None) -> Ranking:
        ids, scores = self.index.lexical.search(self.tokenizer.tokenize(query), depth)
        return self._filter([(int(i), float(s)) for i, s in zip(ids, scores)], filters)

    def dense_search(self, vector: np.ndarray, depth: int, filters: SearchFilters | None) -> Ranking:
        scores, ids = self.index.dense.search(vector, depth)
        passage_hits = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        scores, ids = self.index.sentences.search(vector, depth * self.config.sentences_per_candidate)
        sentence_hits = [
            (int(self.index.sentence_passages[i]), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0
        ]
        return self._filter(best_per_passage(passage_hits, sentence_hits, depth), filters)

    def _filter(self, ranking: Ranking, filters: SearchFilters | None) -> Ranking:
        if unfiltered(filters):
            return ranking
        allowed = self._allowed(filters)
        return [(row, score) for row, score in ranking if row in allowed]

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
    live_passages: tuple[Passage, ...]  # those served (without a replaced or deleted article's)
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


def merge(*rankings: Iterable[tuple[int, float]], depth: int) -> Ranking:
    """The best ``depth`` of several rankings (each best first) over distinct rows; equal scores
    in row order. A ranking alone is kept as it came."""
    filled = [ranking for ranking in map(list, rankings) if ranking]
    if len(filled) <= 1:
        return filled[0][:depth] if filled else []
    return sorted((pair for ranking in filled for pair in ranking), key=lambda pair: (-pair[1], pair[0]))[:depth]


class LocalPassageStore:
    """An index directory loaded by ``rag.index.store.load_index``: bm25s and FAISS in process.

    Each ranker searches the main build (skipping the rows of articles replaced or deleted
    since) and the articles added since, and merges the two by score. With filters, each ranker
    searches ``depth`` passages and drops those filtered out.
    """

    def __init__(self, index: StoredIndex, config: Config) -> None:
        self.index = index
        self.config = config
        self.manifest = index.manifest
        self.documents = index.documents
        self.passages = index.passages
        self.live_passages = index.live_passages
        self.tokenizer = index.tokenizer
        documents = {document.doc_id: document for document in index.documents}
        removed = set(index.added.removed_rows.tolist())
        self._allowed = lru_cache(maxsize=64)(
            lambda filters: frozenset(
                row
                for row, passage in enumerate(index.passages)
                if row not in removed and passes(documents[passage.doc_id], filters)
            )
        )

    def lexical_search(self, query: str, depth: int, filters: SearchFilters | None) -> Ranking:
        tokens = self.tokenizer.tokenize(query)
        added = self.index.added
        ids, scores = self.index.lexical.search(tokens, depth, exclude=added.removed_rows)
        added_ids, added_scores = self.index.added_lexical.search(tokens, depth)
        ranking = merge(
            zip(ids.tolist(), scores.tolist()),
            zip((added_ids + added.offset).tolist(), added_scores.tolist()),
            depth=depth,
        )
        return self._filter(ranking, filters)

    def dense_search(self, vector: np.ndarray, depth: int, filters: SearchFilters | None) -> Ranking:
        added = self.index.added
        passage_hits = merge(
            _hits(self.index.dense.search(vector, depth, exclude=added.removed_rows)),
            _hits(added.dense.search(vector, depth), offset=added.offset),
            depth=depth,
        )
        sentence_depth = depth * self.config.sentences_per_candidate
        sentence_hits = merge(
            _hits(
                self.index.sentences.search(vector, sentence_depth, exclude=self.index.removed_sentences),
                self.index.sentence_passages,
            ),
            _hits(added.sentences.search(vector, sentence_depth), added.sentence_passages),
            depth=sentence_depth,
        )
        return self._filter(best_per_passage(passage_hits, sentence_hits, depth), filters)

    def _filter(self, ranking: Ranking, filters: SearchFilters | None) -> Ranking:
        if unfiltered(filters):
            return ranking
        allowed = self._allowed(filters)
        return [(row, score) for row, score in ranking if row in allowed]


def _hits(found: tuple[np.ndarray, np.ndarray], rows: np.ndarray | None = None, offset: int = 0) -> Ranking:
    """``(row, score)`` pairs of one FAISS query: ids mapped through ``rows`` (sentence → passage)
    or shifted by ``offset``; FAISS's -1 fillers dropped."""
    scores, ids = found
    return [
        (int(rows[i]) if rows is not None else int(i) + offset, float(score))
        for i, score in zip(ids[0], scores[0])
        if i >= 0
    ]

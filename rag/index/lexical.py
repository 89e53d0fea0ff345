"""BM25 over our own jieba tokens: ``LexicalIndex.build(token_lists)``, then ``search(tokens, k)``.

bm25s does the scoring; it is given token lists from ``rag.text.tokenization`` because its own
splitter treats a run of Chinese characters as one token. Files are bm25s's own ``save``
format (numpy arrays with ``allow_pickle=False``, vocabulary and parameters as JSON).

Thread safety: a search only reads the score matrix and the vocabulary.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from rag.config import Config


class LexicalIndex:
    """BM25 (Lucene variant) over token lists; document ``i`` is passage ``i``."""

    def __init__(self, retriever: bm25s.BM25) -> None:
        self._retriever = retriever

    @classmethod
    def build(
        cls,
        token_lists: Sequence[Sequence[str]],
        *,
        k1: float = Config.bm25_k1,
        b: float = Config.bm25_b,
    ) -> LexicalIndex:
        """Index one token list per passage (an empty list is allowed: it never matches).

        Raises ``ValueError`` when no list has a token: there is nothing to search.
        """
        if not any(token_lists):
            raise ValueError(
                f"None of the {len(token_lists)} passages has a searchable token; "
                "check that the corpus holds Chinese text."
            )
        retriever = bm25s.BM25(k1=k1, b=b, method="lucene")
        retriever.index([list(tokens) for tokens in token_lists], show_progress=False)
        return cls(retriever)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        """Read an index written by :meth:`save`."""
        return cls(bm25s.BM25.load(str(directory), allow_pickle=False, show_progress=False))

    def save(self, directory: Path) -> None:
        self._retriever.save(str(directory), allow_pickle=False, show_progress=False)

    def __len__(self) -> int:
        return int(self._retriever.scores["num_docs"])

    @property
    def parameters(self) -> dict[str, object]:
        """BM25 settings, for the index manifest."""
        return {"k1": self._retriever.k1, "b": self._retriever.b, "method": self._retriever.method}

    def search(self, query_tokens: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` documents that share a token with the query: ``(ids, scores)``, best first.

        Tokens the index has never seen are ignored; a query with no known token returns two
        empty arrays. Ids are int64 row numbers, scores float32 BM25 scores (> 0).
        """
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}.")
        vocabulary = self._retriever.vocab_dict
        token_ids = [vocabulary[token] for token in query_tokens if token and token in vocabulary]
        if not token_ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = self._retriever.get_scores_from_ids(token_ids)
        matching = np.flatnonzero(scores > 0)
        if len(matching) > k:
            matching = matching[np.argpartition(-scores[matching], k - 1)[:k]]
        # Stable sort on (-score, id): equal scores come out in passage order.
        order = matching[np.lexsort((matching, -scores[matching]))]
        return order.astype(np.int64), scores[order].astype(np.float32)

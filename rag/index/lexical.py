"""BM25 over our own jieba tokens: ``LexicalIndex.build(token_lists)``, then ``search(tokens, k)``.

bm25s does the scoring; it is given token lists from ``rag.text.tokenization`` because its own
splitter treats a run of Chinese characters as one token. Files are bm25s's own ``save``
format (numpy arrays with ``allow_pickle=False``, vocabulary and parameters as JSON), and
``collection.json``: the mean document length, which bm25s does not keep and which articles
added later are scored with (``rag.index.added``).

Thread safety: a search only reads the score matrix and the vocabulary.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import json

import bm25s
import numpy as np

from rag.config import Config

_COLLECTION = "collection.json"


class LexicalIndex:
    """BM25 (Lucene variant) over token lists; document ``i`` is passage ``i``."""

    def __init__(self, retriever: bm25s.BM25, mean_length: float) -> None:
        self._retriever = retriever
        self.mean_length = mean_length  # tokens per document, empty ones included

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
        return cls(retriever, sum(map(len, token_lists)) / len(token_lists))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        """Read an index written by :meth:`save`."""
        retriever = bm25s.BM25.load(str(directory), allow_pickle=False, show_progress=False)
        collection = json.loads((Path(directory) / _COLLECTION).read_text(encoding="utf-8"))
        return cls(retriever, float(collection["mean_length"]))

    def save(self, directory: Path) -> None:
        self._retriever.save(str(directory), allow_pickle=False, show_progress=False)
        (Path(directory) / _COLLECTION).write_text(
            json.dumps({"mean_length": self.mean_length}), encoding="utf-8"
        )

    def __len__(self) -> int:
        return int(self._retriever.scores["num_docs"])

    @property
    def parameters(self) -> dict[str, object]:
        """BM25 settings, for the index manifest."""
        return {"k1": self._retriever.k1, "b": self._retriever.b, "method": self._retriever.method}

    def document_frequencies(self, tokens: Sequence[str]) -> np.ndarray:
        """For each token, how many documents hold it (0 for a token the index never saw)."""
        vocabulary = self._retriever.vocab_dict
        pointers = self._retriever.scores["indptr"]
        rows = [vocabulary.get(token, len(pointers)) if token else len(pointers) for token in tokens]
        # bm25s's empty token, last in the vocabulary, may have no closing pointer: it holds none.
        return np.array(
            [int(pointers[row + 1] - pointers[row]) if row + 1 < len(pointers) else 0 for row in rows],
            dtype=np.int64,
        )

    def search(
        self, query_tokens: Sequence[str], k: int, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` documents that share a token with the query: ``(ids, scores)``, best first.

        Tokens the index has never seen are ignored; a query with no known token returns two
        empty arrays. Ids are int64 row numbers, scores float32 BM25 scores (> 0). Rows in
        ``exclude`` (those of articles replaced or deleted since the build) are never returned.
        """
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}.")
        vocabulary = self._retriever.vocab_dict
        token_ids = [vocabulary[token] for token in query_tokens if token and token in vocabulary]
        if not token_ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = self._retriever.get_scores_from_ids(token_ids)
        if exclude is not None and len(exclude):
            scores[exclude] = 0
        matching = np.flatnonzero(scores > 0)
        if len(matching) > k:
            matching = matching[np.argpartition(-scores[matching], k - 1)[:k]]
        # Stable sort on (-score, id): equal scores come out in passage order.
        order = matching[np.lexsort((matching, -scores[matching]))]
        return order.astype(np.int64), scores[order].astype(np.float32)

"""Articles added, replaced or deleted since an index's main build: ``AddedSegment``.

A large index is not rebuilt for one article. ``rag add`` / ``rag delete`` (``rag.index.update``)
write the passages of the articles added or replaced since the main build into ``added/``
beside the main files, with their own exact FAISS indexes and BM25 tokens, and list the main
articles they replace or delete; searches skip those articles' main rows. The main files are
left as they are. When the added share outgrows ``Config.added_max_share`` the next change
rebuilds the index from its kept vectors, which folds ``added/`` back into the main segment.

Layout of ``added/``::

    documents.json         the articles added or replaced since the main build
    passages.jsonl         their passages; line i is passage row (main passages + i)
    tokens.jsonl           each passage's BM25 tokens (a JSON list per line)
    dense.faiss            exact FAISS index of their vectors
    sentences.faiss        exact FAISS index of their sentences' vectors
    sentence_passages.npy  the passage row (over the whole index) of each sentence vector
    removed.json           {"documents": [...], "rows": [...]}: main articles replaced or
                           deleted, and their passage rows

BM25 of an added passage (``AddedLexical``) is bm25s's Lucene formula with the statistics of
main and added passages together: document frequencies from the main index plus the added
passages', their number and their mean length. An added passage therefore scores what a
rebuild would give it. The main passages keep the scores of their build (bm25s fixes them at
indexing), off by as much as the added share moves the statistics: the share bound keeps that
small (at 2 %, a word's idf moves by at most log 1.02 = 0.02).
"""
from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.index.dense import DenseIndex
from rag.index.lexical import LexicalIndex
from rag.models import Document, Passage

FOLDER = "added"
DOCUMENTS = "documents.json"
PASSAGES = "passages.jsonl"
TOKENS = "tokens.jsonl"
DENSE = "dense.faiss"
SENTENCES = "sentences.faiss"
SENTENCE_PASSAGES = "sentence_passages.npy"
REMOVED = "removed.json"


class AddedLexical:
    """BM25 over the added passages, scored with the statistics of the whole index."""

    def __init__(self, token_lists: Sequence[Sequence[str]], main: LexicalIndex) -> None:
        self._main = main
        self._k1 = float(main.parameters["k1"])
        self._b = float(main.parameters["b"])
        self._lengths = np.array([len(tokens) for tokens in token_lists], dtype=np.float32)
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for row, tokens in enumerate(token_lists):
            for token, count in Counter(tokens).items():
                postings[token].append((row, count))
        self._postings = {
            token: (np.array([row for row, _ in pairs]), np.array([n for _, n in pairs], dtype=np.float32))
            for token, pairs in postings.items()
        }
        self._documents = len(main) + len(token_lists)
        self._mean_length = (main.mean_length * len(main) + float(self._lengths.sum())) / self._documents

    def search(self, query_tokens: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` added passages sharing a token with the query: ``(rows in the segment,
        scores)``, best first, like ``LexicalIndex.search``."""
        known = [token for token in query_tokens if token in self._postings]
        if not known or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        frequencies = self._main.document_frequencies(known) + [len(self._postings[t][0]) for t in known]
        scores = np.zeros(len(self._lengths), dtype=np.float32)
        norms = self._k1 * (1 - self._b + self._b * self._lengths / self._mean_length)
        for token, frequency in zip(known, frequencies):
            rows, counts = self._postings[token]
            idf = math.log(1 + (self._documents - frequency + 0.5) / (frequency + 0.5))
            scores[rows] += idf * counts / (counts + norms[rows])
        matching = np.flatnonzero(scores > 0)
        order = matching[np.lexsort((matching, -scores[matching]))][:k]
        return order.astype(np.int64), scores[order]


@dataclass(frozen=True)
class AddedSegment:
    """What changed since the main build; empty (``offset`` rows, nothing else) when nothing did."""

    offset: int  # passages of the main segment: added passage i is row offset + i
    documents: tuple[Document, ...]
    passages: tuple[Passage, ...]
    tokens: tuple[tuple[str, ...], ...]
    dense: DenseIndex
    sentences: DenseIndex
    sentence_passages: np.ndarray  # int32, rows over the whole index (offset and above)
    removed_documents: tuple[str, ...]  # main articles replaced or deleted
    removed_rows: np.ndarray  # int64, their main passage rows

    @property
    def counts(self) -> dict[str, int]:
        """For the manifest."""
        return {
            "documents": len(self.documents),
            "passages": len(self.passages),
            "sentences": len(self.sentence_passages),
            "removed_documents": len(self.removed_documents),
            "removed_passages": len(self.removed_rows),
        }


def empty_segment(offset: int, dim: int) -> AddedSegment:
    """The added segment of an index that has not changed since its main build."""
    nothing = np.zeros((0, dim), dtype=np.float32)
    return AddedSegment(
        offset=offset,
        documents=(),
        passages=(),
        tokens=(),
        dense=DenseIndex.build(nothing),
        sentences=DenseIndex.build(nothing),
        sentence_passages=np.zeros(0, dtype=np.int32),
        removed_documents=(),
        removed_rows=np.zeros(0, dtype=np.int64),
    )


def save_added(folder: Path, segment: AddedSegment) -> None:
    """Write ``segment`` into ``folder`` (created)."""
    folder.mkdir()
    (folder / DOCUMENTS).write_text(
        json.dumps([dataclasses.asdict(d) for d in segment.documents], ensure_ascii=False), encoding="utf-8"
    )
    (folder / PASSAGES).write_text(
        "".join(json.dumps(dataclasses.asdict(p), ensure_ascii=False) + "\n" for p in segment.passages),
        encoding="utf-8",
    )
    (folder / TOKENS).write_text(
        "".join(json.dumps(list(tokens), ensure_ascii=False) + "\n" for tokens in segment.tokens),
        encoding="utf-8",
    )
    segment.dense.save(folder / DENSE)
    segment.sentences.save(folder / SENTENCES)
    np.save(folder / SENTENCE_PASSAGES, segment.sentence_passages.astype(np.int32), allow_pickle=False)
    (folder / REMOVED).write_text(
        json.dumps(
            {"documents": list(segment.removed_documents), "rows": segment.removed_rows.tolist()},
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )


def load_added(folder: Path, offset: int, read_document) -> AddedSegment:
    """Read a segment written by :func:`save_added`; ``read_document`` turns a JSON record into
    a ``Document``. Raises ``ValueError``, ``KeyError``, ``OSError`` or FAISS's ``RuntimeError``
    on a damaged file (the caller names the index and how to rebuild it)."""
    tokens = tuple(
        tuple(json.loads(line)) for line in (folder / TOKENS).read_text(encoding="utf-8").splitlines()
    )
    removed = json.loads((folder / REMOVED).read_text(encoding="utf-8"))
    return AddedSegment(
        offset=offset,
        documents=tuple(
            read_document(record) for record in json.loads((folder / DOCUMENTS).read_text(encoding="utf-8"))
        ),
        passages=tuple(
            Passage(**json.loads(line)) for line in (folder / PASSAGES).read_text(encoding="utf-8").splitlines()
        ),
        tokens=tokens,
        dense=DenseIndex.load(folder / DENSE),
        sentences=DenseIndex.load(folder / SENTENCES),
        sentence_passages=np.load(folder / SENTENCE_PASSAGES, allow_pickle=False),
        removed_documents=tuple(removed["documents"]),
        removed_rows=np.array(removed["rows"], dtype=np.int64),
    )

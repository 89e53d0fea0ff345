"""Nearest passages by embedding: ``DenseIndex.build(vectors)``, then ``search(queries, k)``.

Vectors are L2-normalised, so FAISS inner product is cosine similarity. Up to
``exact_max`` passages the index is exact (``IndexFlatIP``: a 10,000 × 384 search takes well
under a millisecond per query); above, it is an HNSW graph (inner-product metric) whose recall is
set by ``M`` at build time and ``efSearch`` at load. The graph keeps its vectors as float32
(``IndexHNSWFlat``, storage ``"flat"``), float16 (``IndexHNSWSQ``, ``"fp16"``: half the memory)
or 8-bit scalars (``"sq8"``: a quarter, ranges trained on the vectors indexed).

Thread safety: FAISS CPU indexes are safe for concurrent searches (FAISS wiki, "Threads and
asynchronous calls"); only adding or changing parameters needs exclusion. ``efSearch`` is
therefore set once, when the index is built or loaded, never per query.
"""
from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from rag.config import Config

_NORM_TOLERANCE = 1e-3

_STORAGES = {
    "flat": lambda dim, m: faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT),
    "fp16": lambda dim, m: faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_fp16, m, faiss.METRIC_INNER_PRODUCT),
    "sq8": lambda dim, m: faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, m, faiss.METRIC_INNER_PRODUCT),
}
_QUANTIZERS = {faiss.ScalarQuantizer.QT_fp16: "fp16", faiss.ScalarQuantizer.QT_8bit: "sq8"}


def _check_vectors(vectors: np.ndarray, dim: int | None = None) -> np.ndarray:
    """``vectors`` as a C-contiguous float32 matrix of unit rows; ``ValueError`` otherwise."""
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    if matrix.ndim != 2:
        raise ValueError(f"Expected a 2-D array of vectors, got shape {matrix.shape}.")
    if dim is not None and matrix.shape[1] != dim:
        raise ValueError(
            f"Vectors have dimension {matrix.shape[1]}, the index has {dim}: "
            "query with the embedder the index was built with."
        )
    norms = np.linalg.norm(matrix, axis=1)
    if matrix.shape[0] and not np.allclose(norms, 1.0, atol=_NORM_TOLERANCE):
        raise ValueError(
            "Vectors must be L2-normalised (inner product is used as cosine similarity); "
            f"row norms range {norms.min():.4f}–{norms.max():.4f}."
        )
    return matrix


class DenseIndex:
    """A FAISS inner-product index over passage vectors; row ``i`` is passage ``i``."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        exact_max: int = Config.exact_search_max_passages,
        *,
        hnsw_m: int = Config.hnsw_m,
        ef_construction: int = Config.hnsw_ef_construction,
        ef_search: int = Config.hnsw_ef_search,
        storage: str = Config.hnsw_storage,
    ) -> DenseIndex:
        """Index ``vectors`` (n × d, unit rows): exact up to ``exact_max`` rows, HNSW above, its
        vectors stored as ``storage`` (``"flat"``, ``"fp16"`` or ``"sq8"``)."""
        if storage not in _STORAGES:
            raise ValueError(f"HNSW storage must be one of {sorted(_STORAGES)}, not {storage!r}.")
        matrix = _check_vectors(vectors)
        dim = matrix.shape[1]
        if matrix.shape[0] <= exact_max:
            index: faiss.Index = faiss.IndexFlatIP(dim)
        else:
            index = _STORAGES[storage](dim, hnsw_m)
            index.hnsw.efConstruction = ef_construction
            index.hnsw.efSearch = ef_search
            index.train(matrix)
        index.add(matrix)
        return cls(index)

    @classmethod
    def load(cls, path: Path, *, ef_search: int = Config.hnsw_ef_search) -> DenseIndex:
        """Read an index written by :meth:`save`; for HNSW, ``ef_search`` is applied here once."""
        index = faiss.read_index(str(path))
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = ef_search
        return cls(index)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def dim(self) -> int:
        return int(self._index.d)

    @property
    def storage(self) -> str:
        """How the vectors are kept: ``"fp16"`` or ``"sq8"`` in a scalar-quantised HNSW graph,
        else ``"flat"`` (float32)."""
        if isinstance(self._index, faiss.IndexHNSWSQ):
            return _QUANTIZERS[faiss.downcast_index(self._index.storage).sq.qtype]
        return "flat"

    @property
    def kind(self) -> str:
        """``"flat"`` (exact) or ``"hnsw"``."""
        return "hnsw" if isinstance(self._index, faiss.IndexHNSW) else "flat"

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def vectors(self) -> np.ndarray:
        """Every row's stored vector (n × d, unit rows): a rebuild reuses those of unchanged
        passages. Scalar storage gives them back to within its rounding, renormalised."""
        stored = self._index.reconstruct_n(0, len(self))
        if self.storage != "flat":
            stored /= np.maximum(np.linalg.norm(stored, axis=1, keepdims=True), 1e-12)
        return stored

    def search(
        self, query_vectors: np.ndarray, k: int, exclude: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` rows for each query, best first: ``(scores, ids)``, both (queries × k').

        ``k' = min(k, len(self))``. Scores are cosine similarities (float32); ids are row
        numbers (int64). HNSW may find fewer than ``k'`` rows for a query; FAISS fills the
        rest of that row with id -1, which callers skip. Rows in ``exclude`` (int64; those of
        articles replaced or deleted since the build) are skipped inside the search, so they
        cost no depth.
        """
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}.")
        queries = _check_vectors(query_vectors, self.dim)
        depth = min(k, len(self))
        if depth == 0 or queries.shape[0] == 0:
            return (
                np.zeros((queries.shape[0], 0), dtype=np.float32),
                np.zeros((queries.shape[0], 0), dtype=np.int64),
            )
        if exclude is None or not len(exclude):
            return self._index.search(queries, depth)
        # Both selectors are held here: FAISS keeps only a raw pointer to the inner one.
        excluded = faiss.IDSelectorBatch(np.asarray(exclude, dtype=np.int64))
        selector = faiss.IDSelectorNot(excluded)
        if isinstance(self._index, faiss.IndexHNSW):
            # Parameters passed with a search replace the index's own, efSearch included.
            parameters = faiss.SearchParametersHNSW(sel=selector, efSearch=self._index.hnsw.efSearch)
        else:
            parameters = faiss.SearchParameters(sel=selector)
        return self._index.search(queries, depth, params=parameters)

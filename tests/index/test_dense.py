from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from rag.index.dense import DenseIndex


def unit_rows(count: int, dim: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_flat_search_is_exact_cosine_best_first():
    vectors = unit_rows(200, 24)
    queries = unit_rows(5, 24, seed=1)
    index = DenseIndex.build(vectors)
    assert index.kind == "flat" and len(index) == 200 and index.dim == 24
    scores, ids = index.search(queries, 10)
    assert scores.shape == ids.shape == (5, 10)
    assert ids.dtype == np.int64 and scores.dtype == np.float32
    expected = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    np.testing.assert_array_equal(ids, expected)
    np.testing.assert_allclose(scores, np.take_along_axis(queries @ vectors.T, expected, 1), rtol=1e-5)


def test_k_larger_than_the_index_returns_every_row():
    index = DenseIndex.build(unit_rows(3, 8))
    scores, ids = index.search(unit_rows(1, 8, seed=2), 10)
    assert sorted(ids[0].tolist()) == [0, 1, 2]
    assert scores.shape == (1, 3)


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="L2-normalised"):
        DenseIndex.build(np.full((2, 4), 3.0, dtype=np.float32))
    index = DenseIndex.build(unit_rows(4, 8))
    with pytest.raises(ValueError, match="dimension"):
        index.search(unit_rows(1, 6), 2)
    with pytest.raises(ValueError, match="k must be positive"):
        index.search(unit_rows(1, 8), 0)
    with pytest.raises(ValueError, match="2-D"):
        DenseIndex.build(unit_rows(1, 8)[0])


@pytest.mark.parametrize("storage", ["flat", "fp16", "sq8"])
def test_hnsw_above_the_exact_limit_finds_nearly_all_true_neighbours(storage):
    vectors = unit_rows(2000, 32)
    queries = unit_rows(50, 32, seed=3)
    index = DenseIndex.build(vectors, exact_max=1000, storage=storage)
    assert index.kind == "hnsw" and index.storage == storage
    _, ids = index.search(queries, 10)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids.tolist(), exact.tolist())])
    assert recall >= 0.95
    _, self_ids = index.search(vectors[:20], 1)
    assert self_ids[:, 0].tolist() == list(range(20))


@pytest.mark.parametrize("storage", ["fp16", "sq8"])
def test_scalar_storage_gives_back_unit_vectors_close_to_the_originals(storage):
    vectors = unit_rows(600, 48)
    stored = DenseIndex.build(vectors, exact_max=100, storage=storage).vectors()
    np.testing.assert_allclose(np.linalg.norm(stored, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(stored * vectors, axis=1)) > 0.999
    DenseIndex.build(stored, exact_max=100, storage=storage)  # a rebuild from them is accepted


def test_unknown_storage_is_refused():
    with pytest.raises(ValueError, match="HNSW storage"):
        DenseIndex.build(unit_rows(10, 8), storage="pq")


@pytest.mark.parametrize(("exact_max", "storage"), [(10_000, "flat"), (100, "flat"), (100, "fp16"), (100, "sq8")])
def test_save_and_load_give_the_same_results(tmp_path, exact_max, storage):
    vectors = unit_rows(300, 16)
    queries = unit_rows(7, 16, seed=4)
    index = DenseIndex.build(vectors, exact_max=exact_max, storage=storage)
    index.save(tmp_path / "dense.faiss")
    loaded = DenseIndex.load(tmp_path / "dense.faiss")
    assert loaded.kind == index.kind and loaded.storage == index.storage and len(loaded) == 300
    for got, expected in zip(loaded.search(queries, 5), index.search(queries, 5)):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("exact_max", [10_000, 500])
def test_concurrent_searches_match_sequential_ones(exact_max):
    vectors = unit_rows(1000, 64)
    queries = unit_rows(64, 64, seed=5)
    index = DenseIndex.build(vectors, exact_max=exact_max)
    expected = [index.search(query[None, :], 10)[1] for query in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda query: index.search(query[None, :], 10)[1], queries))
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("exact_max", "storage"), [(10_000, "flat"), (100, "fp16")])
def test_excluded_rows_are_skipped_without_costing_depth(exact_max, storage):
    vectors = unit_rows(300, 16)
    queries = unit_rows(5, 16, seed=6)
    index = DenseIndex.build(vectors, exact_max=exact_max, storage=storage)
    _, before = index.search(queries, 10)
    excluded = before[:, :3].reshape(-1)

    _, after = index.search(queries, 10, exclude=excluded)

    assert after.shape == (5, 10) and not set(after.reshape(-1).tolist()) & set(excluded.tolist())
    for row_before, row_after in zip(before, after):  # the rest keep their order
        kept = [i for i in row_before if i not in excluded]
        assert row_after.tolist()[: len(kept)] == kept

import pytest

from rag.retrieval.fusion import fuse, rrf, weighted


def test_rrf_sums_reciprocal_ranks():
    fused = rrf([[("a", 9.0), ("b", 5.0), ("c", 1.0)], [("b", 0.9), ("a", 0.8), ("d", 0.1)]], k=60)
    assert [item for item, _ in fused] == ["a", "b", "c", "d"]  # a/b and c/d tie: first met first
    scores = dict(fused)
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["b"] == pytest.approx(scores["a"])
    assert scores["c"] == pytest.approx(1 / 63)


def test_rrf_ignores_score_scales_and_honours_weights():
    lexical = [("x", 30.0), ("y", 2.0)]
    dense = [("y", 0.9), ("z", 0.8), ("x", 0.1)]
    assert [item for item, _ in rrf([lexical, dense], k=0, weights=[1.0, 0.0])][:2] == ["x", "y"]
    assert [item for item, _ in rrf([lexical, dense], k=60, weights=[0.0, 1.0])] == ["y", "z", "x"]
    assert [item for item, _ in rrf([lexical, dense], k=60)] == ["y", "x", "z"]


def test_rrf_edge_cases():
    assert rrf([]) == []
    assert rrf([[], [("a", 1.0)]]) == [("a", pytest.approx(1 / 61))]
    with pytest.raises(ValueError, match="weights"):
        rrf([[("a", 1.0)]], weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="k must be"):
        rrf([[("a", 1.0)]], k=-1)


def test_weighted_min_max_fusion():
    lexical = [("a", 10.0), ("b", 5.0), ("c", 0.0)]
    dense = [("c", 0.9), ("a", 0.5)]
    fused = weighted(lexical, dense, lexical_weight=0.5)
    assert [item for item, _ in fused] == ["a", "c", "b"]
    assert dict(fused) == pytest.approx({"a": 0.5, "c": 0.5, "b": 0.25})
    assert [item for item, _ in weighted(lexical, dense, 1.0)] == ["a", "b", "c"]
    assert [item for item, _ in weighted(lexical, dense, 0.0)][:2] == ["c", "a"]


def test_weighted_edge_cases():
    assert weighted([("a", 3.0)], [], 0.25) == [("a", 0.25)]  # a lone score normalises to 1
    assert weighted([], [], 0.5) == []
    with pytest.raises(ValueError, match="lexical_weight"):
        weighted([("a", 1.0)], [], 1.5)


def test_fuse_dispatches_on_the_configured_method():
    lexical = [("a", 12.0), ("b", 11.0)]
    dense = [("b", 0.9), ("c", 0.5)]
    assert fuse(lexical, dense, method="rrf", rrf_k=60, lexical_weight=0.5)[0][0] == "b"
    assert fuse(lexical, dense, method="weighted", rrf_k=60, lexical_weight=0.5) == weighted(
        lexical, dense, 0.5
    )
    with pytest.raises(ValueError, match="rrf, weighted"):
        fuse(lexical, dense, method="borda", rrf_k=60, lexical_weight=0.5)

"""Merge ranked lists from several retrievers into one: ``fuse(lexical, dense, ...)``.

Every ranking is a sequence of ``(id, score)`` pairs, best first; every function returns one
list of ``(id, fused_score)``, best first. Equal fused scores keep the order in which the ids
were first met (the first ranking's order, then the next one's), so results are deterministic.
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

Id = TypeVar("Id", bound=Hashable)
Ranking = Sequence[tuple[Id, float]]

FUSION_METHODS = ("rrf", "weighted")


def _best_first(scores: dict[Id, float]) -> list[tuple[Id, float]]:
    return sorted(scores.items(), key=lambda item: -item[1])  # stable: ties keep first-met order


def rrf(
    rankings: Sequence[Ranking], k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[Id, float]]:
    """Reciprocal-rank fusion: ``score(id) = Σ weight_i / (k + rank_i(id))``, ranks from 1.

    Only ranks matter, so retrievers whose scores live on different scales fuse without
    calibration; ``k`` damps the advantage of the very first places (Cormack et al., 2009).
    """
    if k < 0:
        raise ValueError(f"RRF k must be ≥ 0, got {k}.")
    weights = weights if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"Got {len(weights)} weights for {len(rankings)} rankings.")
    fused: dict[Id, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, (item, _score) in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return _best_first(fused)


def _min_max(ranking: Ranking) -> dict[Id, float]:
    """Scores mapped to [0, 1] within the ranking; a ranking whose scores are all equal → 1."""
    if not ranking:
        return {}
    scores = [score for _item, score in ranking]
    low, high = min(scores), max(scores)
    span = high - low
    return {item: (score - low) / span if span > 0 else 1.0 for item, score in ranking}


def weighted(
    lexical: Ranking, dense: Ranking, lexical_weight: float = 0.5
) -> list[tuple[Id, float]]:
    """``w · minmax(lexical) + (1 - w) · minmax(dense)``; an id missing from a ranking gets 0 there.

    Min-max per ranking (not z-scores): the candidate lists are short top-k cuts, whose mean
    and spread say little, while their best and worst scores bound them exactly.
    """
    if not 0.0 <= lexical_weight <= 1.0:
        raise ValueError(f"lexical_weight must be within [0, 1], got {lexical_weight}.")
    fused: dict[Id, float] = {}
    for ranking, weight in ((lexical, lexical_weight), (dense, 1.0 - lexical_weight)):
        for item, score in _min_max(ranking).items():
            fused[item] = fused.get(item, 0.0) + weight * score
    return _best_first(fused)


def fuse(
    lexical: Ranking,
    dense: Ranking,
    *,
    method: str,
    rrf_k: int,
    lexical_weight: float,
) -> list[tuple[Id, float]]:
    """Fuse a BM25 and a dense ranking with ``method`` ("rrf" or "weighted", see Config).

    ``lexical_weight`` weighs BM25 against dense in both methods (RRF weights ``w`` and
    ``1 - w``), so one setting moves the balance whichever method is chosen.
    """
    if method == "rrf":
        return rrf([lexical, dense], k=rrf_k, weights=[lexical_weight, 1.0 - lexical_weight])
    if method == "weighted":
        return weighted(lexical, dense, lexical_weight)
    raise ValueError(
        f"Unknown fusion method {method!r}; choose one of {', '.join(FUSION_METHODS)}."
    )

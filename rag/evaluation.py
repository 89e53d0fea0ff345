"""Answer and retrieval metrics as pure functions: ``exact_match`` / ``f1_score`` (CMRC 2018 style)
and ``recall_at_k`` / ``mrr`` over per-question relevance flags.

Answers are compared the way the official CMRC 2018 evaluation script compares them: both sides
are normalised (``rag.text.normalize.normalize``, then punctuation and white space removed); EM is
string equality with any gold answer; F1 counts tokens — one per Chinese character, one per run
of latin letters or digits — in the longest common *contiguous* token sequence (the official
script's ``find_lcs``), and takes the best gold answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from rag.text.normalize import normalize

# The official script also drops these ASCII symbols besides punctuation proper.
_EXTRA_SYMBOLS = frozenset("^`~+=|")
_TOKEN = re.compile(r"[a-z0-9]+|.", re.DOTALL)


def _is_dropped(char: str) -> bool:
    return char.isspace() or char in _EXTRA_SYMBOLS or unicodedata.category(char).startswith("P")


def normalize_answer(text: str) -> str:
    """Normalise an answer for comparison: simplified, half-width, lower-case, no punctuation or
    white space."""
    return "".join(char for char in normalize(text) if not _is_dropped(char))


def answer_tokens(text: str) -> list[str]:
    """Tokens F1 is counted on: each Chinese character, each latin word or digit run."""
    return _TOKEN.findall(normalize_answer(text))


def _longest_common_run(left: Sequence[str], right: Sequence[str]) -> int:
    best = 0
    previous = [0] * (len(right) + 1)
    for token in left:
        current = [0] * (len(right) + 1)
        for j, other in enumerate(right, start=1):
            if token == other:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals any normalised gold answer, else 0.0."""
    if isinstance(golds, str):
        raise TypeError("golds must be a sequence of answers, e.g. [gold], not a bare string")
    predicted = normalize_answer(prediction)
    return float(any(predicted == normalize_answer(gold) for gold in golds))


def f1_score(prediction: str, golds: Sequence[str]) -> float:
    """Token F1 on the longest common run of tokens, maximised over the gold answers."""
    if isinstance(golds, str):
        raise TypeError("golds must be a sequence of answers, e.g. [gold], not a bare string")
    predicted = answer_tokens(prediction)
    best = 0.0
    for gold in golds:
        expected = answer_tokens(gold)
        common = _longest_common_run(predicted, expected)
        if common:
            precision = common / len(predicted)
            recall = common / len(expected)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def first_relevant_rank(relevant: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant result, or None when none is relevant."""
    return next((rank for rank, flag in enumerate(relevant, start=1) if flag), None)


def recall_at_k(relevance: Sequence[Sequence[bool]], k: int) -> float:
    """Share of questions with a relevant result among their first ``k`` results.

    ``relevance`` holds, per question, one flag per ranked result (True = relevant).
    """
    if k <= 0:
        raise ValueError(f"k must be a positive number of results, got {k}")
    if not relevance:
        return 0.0
    return sum(any(flags[:k]) for flags in relevance) / len(relevance)


def mrr(relevance: Sequence[Sequence[bool]]) -> float:
    """Mean reciprocal rank of the first relevant result (0 for a question without one)."""
    if not relevance:
        return 0.0
    ranks = (first_relevant_rank(flags) for flags in relevance)
    return sum(1.0 / rank for rank in ranks if rank is not None) / len(relevance)

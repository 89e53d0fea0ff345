"""Which character spans of a text match a query's words: ``query_terms`` then ``match_spans``.

Matching runs on ``normalize``d text, which has one character per original character, so the
spans index the original text that users see; a traditional or full-width query still marks
the simplified passage. Terms come from the project tokenizer (the same words BM25 matched),
minus single characters and question words, which would mark half the page.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from rag.text.normalize import normalize

# Question words the tokenizer keeps (its stop list drops 什么/哪些/多少…) but that say
# nothing about where the answer is.
_NOT_HIGHLIGHTED: frozenset[str] = frozenset(
    "时候 多久 多大 多长 多远 多高 多重 哪家 哪天 哪位 几家 几年 几天 几种 叫什么".split()
)


class Tokenizer(Protocol):
    """The project tokenizer's contract (``rag.text.tokenization.Tokenizer``)."""

    def tokenize(self, text: str) -> list[str]: ...


def query_terms(query: str, tokenizer: Tokenizer) -> tuple[str, ...]:
    """Normalised words of ``query`` worth marking in a passage, longest first, no repeats."""
    terms = {
        term
        for term in (normalize(token) for token in tokenizer.tokenize(query))
        if len(term) >= 2 and term not in _NOT_HIGHLIGHTED
    }
    return tuple(sorted(terms, key=lambda term: (-len(term), term)))


def match_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping ``(start, end)`` spans of ``text`` where any of ``terms`` occurs.

    Overlapping or touching matches are merged, so 长春 + 现代化都市圈 marks one run.
    """
    if not terms or not text:
        return []
    alternatives = sorted({normalize(term) for term in terms if term}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(term) for term in alternatives))
    haystack = normalize(text)
    spans: list[tuple[int, int]] = []
    # Matches may start inside an earlier match (现代化 / 化都市), so scan every position.
    position = 0
    while (found := pattern.search(haystack, position)) is not None:
        start, end = found.span()
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
        position = start + 1
    return spans

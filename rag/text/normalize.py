"""Text normalisation for matching only: ``normalize(text)`` → simplified, half-width, lower-case.

The output has exactly one character per input character, so an offset found in the
normalised text is the same offset in the original text (which is what users see).
The same function is used when indexing and when querying.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char).lower()
    return folded if len(folded) == 1 else char.lower() if len(char.lower()) == 1 else char


def normalize(text: str) -> str:
    """Traditional → simplified, full-width → half-width, lower-case; length-preserving."""
    simplified = _t2s().convert(text)
    if len(simplified) != len(text):  # a phrase rule changed the length: convert char by char
        simplified = "".join(
            converted if len(converted := _t2s().convert(char)) == 1 else char for char in text
        )
    return "".join(_fold_char(char) for char in simplified)

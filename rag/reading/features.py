"""Reader inputs and span decoding, shared by training and serving: ``windows(question, context)``
and ``best_span(window, start_logits, end_logits)``.

An input is ``<s> question </s></s> context window </s>`` (multilingual-e5 reads pairs as XLM-R
does). A context longer than one input is read in overlapping windows, so an answer near a
window's edge is whole in the next one. Position 0 (``<s>``) is the null span: the
reader points both ends there to say "no answer in this window".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.reading.tokens import Tokens

MAX_QUESTION_TOKENS = 48


@dataclass(frozen=True)
class Window:
    """One model input over ``context`` tokens ``[first, first + count)``."""

    ids: np.ndarray  # int64 token ids of the whole input
    context_at: int  # input position of the window's first context token
    first: int  # index of that token in the context's tokens
    count: int  # context tokens in this window


@dataclass(frozen=True)
class Span:
    start: int  # character offsets into the context
    end: int
    score: float  # start + end logit
    null_score: float  # the window's no-answer score (both ends on <s>)


def windows(
    question: Tokens, context: Tokens, bos: int, eos: int, max_tokens: int, overlap: int | None = None
) -> list[Window]:
    """Inputs covering all of ``context``, each at most ``max_tokens`` long; consecutive windows
    share ``overlap`` context tokens (default half a window, as in training; serving needs only
    the longest answer's length, so that every answer is whole in some window)."""
    asked = list(question.ids[:MAX_QUESTION_TOKENS])
    head = [bos, *asked, eos, eos]
    room = max_tokens - len(head) - 1
    if room < 8:
        raise ValueError(f"max_tokens {max_tokens} leaves no room for context after the question")
    stride = max(room // 2 if overlap is None else room - overlap, 1)
    result, first = [], 0
    while True:
        count = min(room, len(context) - first)
        ids = np.array([*head, *context.ids[first : first + count], eos], dtype=np.int64)
        result.append(Window(ids, len(head), first, count))
        if first + count >= len(context):
            return result
        first += stride


def allowed_positions(window: Window) -> np.ndarray:
    """Boolean mask of the positions a span end may take: ``<s>`` (null) and the context tokens."""
    allowed = np.zeros(len(window.ids), dtype=bool)
    allowed[0] = True
    allowed[window.context_at : window.context_at + window.count] = True
    return allowed


def best_span(
    window: Window,
    context: Tokens,
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    max_answer_tokens: int,
) -> Span | None:
    """The best-scoring non-null span of the window (end ≥ start, at most ``max_answer_tokens``,
    on one line of the context), or None for a window with no context tokens."""
    if window.count == 0:
        return None
    begin = window.context_at
    starts = start_logits[begin : begin + window.count]
    ends = end_logits[begin : begin + window.count]
    # score[i, j] = start i + end j, kept where i <= j < i + max_answer_tokens.
    scores = starts[:, None] + ends[None, :]
    offsets = np.arange(window.count)
    gap = offsets[None, :] - offsets[:, None]
    allowed = (gap >= 0) & (gap < max_answer_tokens)
    if context.lines:
        lines = np.asarray(context.lines[window.first : window.first + window.count])
        allowed &= lines[:, None] == lines[None, :]
    scores = np.where(allowed, scores, -np.inf)
    flat = int(np.argmax(scores))
    first, last = divmod(flat, window.count)
    token_first, token_last = window.first + first, window.first + last
    return Span(
        start=context.starts[token_first],
        end=context.ends[token_last],
        score=float(scores[first, last]),
        null_score=float(start_logits[0] + end_logits[0]),
    )

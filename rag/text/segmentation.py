"""Chinese sentence segmentation with character offsets: ``split_sentences(text)``.

A sentence ends at 。！？!?；; or an ellipsis (…), together with any closing quotes or
brackets that follow, or at a line break.
"""
from __future__ import annotations

import re

from rag.models import Sentence

_SENTENCE = re.compile(
    r"""[^。！？!?；;…\n]*            # body
        (?:[。！？!?；;]+|…+|(?=\n)|$)  # terminator, line end or text end
        [”’」』）)】》"'〉]*           # closing quotes / brackets stay with their sentence
    """,
    re.VERBOSE,
)


def split_sentences(text: str, offset: int = 0) -> list[Sentence]:
    """Split ``text`` into sentences; offsets are shifted by ``offset`` (e.g. a paragraph start).

    Leading and trailing white space is excluded from each sentence; empty sentences are dropped.
    """
    sentences: list[Sentence] = []
    for match in _SENTENCE.finditer(text):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            sentences.append(Sentence(offset + start, offset + end, text[start:end]))
    return sentences

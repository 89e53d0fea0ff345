"""The reader's tokens with character offsets: ``ReaderTokenizer(vocabulary).tokenize(text)``.

An extractive answer must be able to start and end at any Chinese character, but
multilingual-e5's SentencePiece pieces often join several (about 10 % of CMRC answers start or
end inside one). So the reader reads each CJK character, punctuation mark or symbol as its own
token, the way Chinese BERT readers do, and only runs of latin letters and digits go through the
unigram segmentation. Every token keeps the offsets of the characters it covers, so a predicted
token span is an exact character span of the text.

Texts are matched after ``rag.text.normalize.normalize`` (simplified, half-width, one character for
one), so the offsets are also offsets into the original text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.embedding.e5_tokenizer import E5Tokenizer
from rag.embedding.e5_weights import E5Vocabulary
from rag.text.normalize import normalize

_METASPACE = "\u2581"
# Runs read as SentencePiece pieces; any other character that is not white space is one token.
_WORD_RUN = re.compile(r"[0-9A-Za-z\u00C0-\u024F]+|\S")
_WORD_RUN_START = re.compile(r"[0-9A-Za-z\u00C0-\u024F]")
_LINE_BREAK = re.compile("\n")


@dataclass(frozen=True)
class Tokens:
    """Token ids of a text and, for each, the offsets ``[start, end)`` of its characters and the
    line it is on (line breaks before it: an answer never crosses one)."""

    ids: tuple[int, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    lines: tuple[int, ...] = ()  # empty: all on one line

    def __len__(self) -> int:
        return len(self.ids)


class ReaderTokenizer:
    def __init__(self, vocabulary: E5Vocabulary, max_positions: int) -> None:
        self._vocabulary = vocabulary
        self._segmenter = E5Tokenizer(vocabulary, max_positions)
        self._piece_text = {piece_id: piece for piece, piece_id in vocabulary.pieces.items()}

    @property
    def bos(self) -> int:
        return self._vocabulary.bos

    @property
    def eos(self) -> int:
        return self._vocabulary.eos

    def tokenize(self, text: str) -> Tokens:
        """Tokens of ``text``; white space is not a token, it marks the next piece as a word start."""
        folded = normalize(text)
        ids: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        for match in _WORD_RUN.finditer(folded):
            run = "".join(self._vocabulary.normalization.get(char, char) for char in match.group())
            if len(run) != len(match.group()):  # the map widened a character: read it as it was
                run = match.group()
            after_space = match.start() == 0 or folded[match.start() - 1].isspace()
            if not _WORD_RUN_START.match(run):  # a CJK character, a mark or a symbol
                self._add_single(run, match.start(), after_space, ids, starts, ends)
                continue
            position = match.start()
            marked = _METASPACE + run if after_space else run
            for piece_id in self._segmenter.segment(marked):
                piece = self._piece_text.get(piece_id, "")
                width = len(piece) - piece.startswith(_METASPACE) if piece else 1
                if width == 0:  # a bare ▁ piece: a word start, no character of the run
                    continue
                ids.append(piece_id)
                starts.append(position)
                ends.append(position + width)
                position += width
        breaks = [found.start() for found in _LINE_BREAK.finditer(folded)]
        lines = np.searchsorted(np.array(breaks, dtype=np.int64), np.array(starts, dtype=np.int64))
        return Tokens(tuple(ids), tuple(starts), tuple(ends), tuple(lines.tolist()))

    def _add_single(
        self, char: str, at: int, after_space: bool, ids: list, starts: list, ends: list
    ) -> None:
        pieces = self._vocabulary.pieces
        piece_id = pieces.get(_METASPACE + char) if after_space else None
        if piece_id is None:
            piece_id = pieces.get(char, self._vocabulary.unk)
        ids.append(piece_id)
        starts.append(at)
        ends.append(at + 1)

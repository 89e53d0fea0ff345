"""The question-answering service as a library: ``Pipeline.load(index_dir)``, then ``ask`` / ``search``.

``ask`` retrieves passages (hybrid BM25 + FAISS), extracts the shortest answering span from
the best of them, and returns it with numbered citations — or no answer and a message when
the passages do not answer the question. ``search`` returns ranked passages for staff.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from numbers import Integral
from pathlib import Path

import numpy as np

from rag.citations import cite
from rag.config import Config
from rag.embedding import Embedder, load_embedder
from rag.extraction import AnswerExtractor
from rag.index_store import StoredIndex, load_index
from rag.models import Answer, Citation, Document, Hit, Result, SearchFilters, Sentence
from rag.normalize import normalize
from rag.retrieval import Retriever
from rag.segmentation import split_sentences
from rag.user_input import prepare_query

NO_ANSWER = "资料中没有找到这个问题的答案。下面是可能相关的段落。"


class Pipeline:
    """One loaded index with its embedder and reader; read-only, so threads may share it."""

    def __init__(self, index: StoredIndex, embedder: Embedder, config: Config) -> None:
        self.index = index
        self.config = config
        self.retriever = Retriever(index, embedder, config)
        self.extractor = AnswerExtractor(config, user_dict_lines=index.tokenizer.user_dict_lines)
        self._documents = {document.doc_id: document for document in index.documents}
        # The index never changes under a pipeline (a rebuild makes a new one), so an answer holds
        # until then: popular questions and example buttons are answered from memory. Results
        # are frozen, so threads may share them.
        self._answers = lru_cache(maxsize=config.answer_cache_size)(self._answer)
        # Every citation of one answer quotes by the same query's words: cut them once.
        self._query_terms = lru_cache(maxsize=256)(
            lambda query: frozenset(index.tokenizer.tokenize(query))
        )

    @classmethod
    def load(
        cls, index_dir: Path, config: Config | None = None, embedder: Embedder | None = None
    ) -> Pipeline:
        """Load and verify ``index_dir``; the question embedder is the one the index was built with.

        Raises ``IndexLoadError`` (with the command that rebuilds it) for a missing, damaged or
        mismatched index.
        """
        config = config if config is not None else Config()
        index = load_index(Path(index_dir), embedder_name=embedder.name if embedder is not None else None)
        if embedder is None:
            embedder = load_embedder(index.manifest.embedder)
        config = replace(config, embedder=index.manifest.embedder)
        return cls(index, embedder, config)

    def warm_up(self) -> None:
        """Load models and dictionaries now, so the first user does not wait for them."""
        self.index.tokenizer.warm_up()
        self.extractor.warm_up()
        self.retriever.embedder.embed_queries(["预热"])

    @property
    def tokenizer(self):
        return self.index.tokenizer

    @property
    def documents(self) -> tuple[Document, ...]:
        return self.index.documents

    def document(self, doc_id: str) -> Document:
        try:
            return self._documents[doc_id]
        except KeyError:
            raise KeyError(f"No document {doc_id!r} in this index.") from None

    def search(
        self,
        query: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        mode: str = "hybrid",
    ) -> list[Hit]:
        """The ``k`` best passages for ``query`` (keywords or a sentence), best first.

        Raises ``QuestionError`` for a query with nothing to search for.
        """
        prepared = prepare_query(query, self.config.max_question_chars)
        return self.retriever.search(prepared.text, self._k(k), mode=mode, filters=filters)

    def ask(self, question: str, k: int | None = None, mode: str = "hybrid") -> Result:
        """Answer ``question`` from the corpus, with up to ``k`` supporting passages and citations."""
        prepared = prepare_query(question, self.config.max_question_chars)
        return self._answers(prepared.text, prepared.truncated, self._k(k), mode)

    def _answer(self, question: str, truncated: bool, k: int, mode: str) -> Result:
        notes = (f"问题太长，只使用了前 {self.config.max_question_chars} 个字。",) if truncated else ()
        depth = max(k, self.config.answer_passages)
        vector = self.retriever.query_vector(question) if mode != "lexical" else None
        hits = self.retriever.search(question, depth, mode=mode, vector=vector)
        answer = self.extractor.extract(question, hits)
        if vector is not None:
            second = self._second_look(question, vector, hits[: self.config.answer_passages], answer)
            if second is not None and (
                answer is None or second.score > answer.score + self.config.second_look_margin
            ):
                answer = second
        if answer is not None and answer.score < self.config.answer_min_score:
            answer = None
        hits = _top_with_answer(hits, k, answer.passage_id if answer else None)
        citations = self.citations(hits, question, answer)
        return Result(
            question=question,
            answer=answer,
            hits=tuple(hits),
            citations=citations,
            message="" if answer is not None else NO_ANSWER,
            notes=notes,
        )

    def _second_look(
        self, question: str, vector: np.ndarray, hits: list[Hit], first: Answer | None
    ) -> Answer | None:
        """The answer in the one sentence of ``hits`` closest to the question in meaning, unless
        that is where the ``first`` answer is (as for 62 % of CMRC questions).

        The reader ranks sentences by the words they share with the question, which misses a
        paraphrase: 长春现代化都市圈包括哪几个城市 ↔ 长春现代化都市圈以长春为核心，联动吉林、四平、
        辽源三市 shares neither 包括 nor 城市. The sentence vectors stored for retrieval find it.
        It is read alone, as a passage of one sentence (read within its passage, CMRC F1 fell
        from 0.566 to 0.561), and replaces the reader's answer only when surer by
        ``Config.second_look_margin``.
        """
        closest = self.retriever.closest_sentence(vector, hits)
        if closest is None:
            return None
        rank, sentence = closest
        if first is not None and (first.passage_id, first.sentence_start) == (
            hits[rank].passage.passage_id,
            sentence.start,
        ):
            return None
        alone = replace(hits[rank].passage, start=sentence.start, end=sentence.end, text=sentence.text)
        return self.extractor.extract(question, [Hit(alone, 1.0)])

    def citations(
        self, hits: Sequence[Hit], query: str, answer: Answer | None = None
    ) -> tuple[Citation, ...]:
        """Citations [1], [2] … for ``hits``. The answer's passage quotes the answer's sentence;
        every other passage the sentence holding most of the query's words that no citation
        before it quotes: neighbouring passages share a sentence, and the same quote under two
        numbers reads as the same passage twice."""
        quoted: set[tuple[str, int]] = set()  # (doc_id, document offset) of the quoted sentences
        if answer is not None:
            quoted.add((answer.doc_id, answer.sentence_start))
        citations = []
        for number, hit in enumerate(hits, start=1):
            if answer is not None and hit.passage.passage_id == answer.passage_id:
                quote = answer.sentence
            else:
                sentence = self._closest_sentence(hit, query, quoted)
                quoted.add((hit.passage.doc_id, sentence.start))
                quote = sentence.text
            citations.append(cite(number, hit.passage, self.document(hit.passage.doc_id), quote))
        return tuple(citations)

    def _closest_sentence(self, hit: Hit, query: str, quoted: set[tuple[str, int]]) -> Sentence:
        """The passage sentence not in ``quoted`` that holds most of the query's words (by
        length of the words); any sentence when all are quoted."""
        passage = hit.passage
        sentences = split_sentences(passage.text, offset=passage.start) or [
            Sentence(passage.start, passage.end, passage.text)
        ]
        fresh = [s for s in sentences if (passage.doc_id, s.start) not in quoted] or sentences
        terms = self._query_terms(query) if query else frozenset()
        # Normalised once per passage rather than once per term and sentence (~15 times as many);
        # normalize keeps lengths, so sentence offsets hold in the normalised text.
        normalized = normalize(passage.text)
        return max(
            fresh,
            key=lambda s: sum(
                len(term)
                for term in terms
                if term in normalized[s.start - passage.start : s.end - passage.start]
            ),
        )

    def _k(self, k: int | None) -> int:
        k = k if k is not None else self.config.top_k
        # An API client may send 2.5, "5" or true; refuse them here rather than fail in a slice.
        if isinstance(k, bool) or not isinstance(k, Integral) or k <= 0:
            raise ValueError(f"k must be a positive whole number of passages, got {k!r}.")
        return int(k)


def _top_with_answer(hits: list[Hit], k: int, passage_id: str | None) -> list[Hit]:
    """The first ``k`` hits, the answer's passage always among them (it takes the last place)."""
    top = hits[:k]
    if passage_id is None or any(hit.passage.passage_id == passage_id for hit in top):
        return top
    answer_hit = next(hit for hit in hits if hit.passage.passage_id == passage_id)
    return [*top[:-1], answer_hit]

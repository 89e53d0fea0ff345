"""The question-answering service as a library: ``Pipeline.load(index_dir)``, then ``ask`` / ``search``.

``ask`` retrieves passages (hybrid BM25 + FAISS), lets the trained span reader
(``rag.reading``) pick the answer span in the best of them, and returns it with numbered
citations — or no answer and a message when the passages do not answer the question.
``search`` returns ranked passages for staff; it works even when the reader cannot load.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from numbers import Integral
from pathlib import Path

from rag.pipeline.citations import cite
from rag.config import Config
from rag.embedding.embedders import Embedder, load_embedder, threads_per_call
from rag.errors import ReaderError
from rag.index.passage_store import LocalPassageStore, PassageStore
from rag.index.store import load_index
from rag.models import Answer, Citation, Document, Hit, Result, SearchFilters, Sentence
from rag.text.normalize import normalize
from rag.reading.reader import DEFAULT_READER, Reader, SpanReader
from rag.retrieval.retriever import Retriever
from rag.text.segmentation import split_sentences
from rag.pipeline.user_input import prepare_query

NO_ANSWER = "资料中没有找到这个问题的答案。下面是可能相关的段落。"
NO_READER = "答案抽取模型没有加载，暂时只能列出可能相关的段落。"

log = logging.getLogger(__name__)


class Pipeline:
    """One loaded index with its embedder and reader; read-only, so threads may share it."""

    def __init__(
        self,
        index: PassageStore,
        embedder: Embedder,
        config: Config,
        reader: Reader | None,
        reader_problem: str = "",
    ) -> None:
        """``reader`` None: passages are searched and shown, questions get no answer (with
        ``reader_problem`` saying why)."""
        self.index = index
        self.config = config
        self.retriever = Retriever(index, embedder, config)
        self.reader = reader
        self.reader_problem = reader_problem
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
        cls,
        index_dir: Path,
        config: Config | None = None,
        embedder: Embedder | None = None,
        reader: Reader | None = None,
        previous: Pipeline | None = None,
    ) -> Pipeline:
        """Load and verify ``index_dir``, or the Milvus index at ``config.milvus_uri`` when that is
        set; the question embedder is the one the index was built with.
        Without ``reader``, the trained reader at ``config.reader_path`` is loaded; when its file
        is missing or damaged that is logged in one line and the pipeline serves passages only.

        Raises ``IndexLoadError`` (with the command that rebuilds it) for a missing, damaged or
        mismatched index; ``MilvusUnavailableError`` when Milvus cannot be reached.
        ``previous``: the pipeline serving ``index_dir`` until now; what it loaded and is still
        current there (the main build, when only articles were added beside it) is taken over.
        """
        config = config if config is not None else Config()
        embedder_name = embedder.name if embedder is not None else None
        if config.milvus_uri is not None:
            from rag.index.milvus import open_milvus

            index: PassageStore = open_milvus(
                config, embedder_name=embedder_name, previous=previous.index if previous is not None else None
            )
        else:
            earlier = previous.index.index if previous is not None and isinstance(previous.index, LocalPassageStore) else None
            index = LocalPassageStore(
                load_index(Path(index_dir), embedder_name=embedder_name, previous=earlier), config
            )
        if embedder is None:
            embedder = load_embedder(index.manifest.embedder)
        config = replace(config, embedder=index.manifest.embedder)
        problem = ""
        if reader is None:
            path = config.reader_path if config.reader_path is not None else DEFAULT_READER
            try:
                reader = SpanReader.load(path, threads_per_call(), config.reader_int8)
            except ReaderError as error:
                problem = str(error)
                log.error("%s Until then questions get passages without an answer.", problem)
        return cls(index, embedder, config, reader, problem)

    def warm_up(self) -> None:
        """Load models and dictionaries now, so the first user does not wait for them."""
        self.index.tokenizer.warm_up()
        self.retriever.embedder.embed_queries(["预热"])  # the reader's session is built at load

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
        hits = self.retriever.search(question, max(k, self.config.answer_passages), mode=mode)
        answer = None
        if self.reader is not None:
            answer = self.reader.read(
                question, hits[: self.config.answer_passages], self.config.reader_retrieval_weight
            )
        if answer is not None and answer.score < self.config.answer_min_score:
            answer = None
        hits = _top_with_answer(hits, k, answer.passage_id if answer else None)
        citations = self.citations(hits, question, answer)
        if answer is not None:
            message = ""
        else:
            message = NO_ANSWER if self.reader is not None else NO_READER
        return Result(
            question=question,
            answer=answer,
            hits=tuple(hits),
            citations=citations,
            message=message,
            notes=notes,
        )

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

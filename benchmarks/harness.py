"""Shared by the benchmark scripts: ask a list of questions and score answers and retrieval.

Entry point: ``run(pipeline, questions, k, mode) -> Scores``. A retrieved passage counts as
relevant when it contains a gold answer (after CMRC normalisation) and, when the question
names one, belongs to the question's own document.
"""
from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.evaluation import exact_match, f1_score, mrr, normalize_answer, recall_at_k
from rag.errors import QuestionError
from rag.models import Result
from rag.pipeline import Pipeline


@dataclass(frozen=True)
class Question:
    qid: str
    question: str
    answers: tuple[str, ...]  # empty: the corpus cannot answer it
    doc_id: str | None = None  # when set, only passages of this document count as relevant


@dataclass
class Scores:
    mode: str
    answerable: int = 0
    unanswerable: int = 0
    relevance: list[list[bool]] = field(default_factory=list)
    em: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    answered_on_answerable: int = 0
    refused_on_unanswerable: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    answer_scores: list[tuple[float | None, bool, float]] = field(default_factory=list)  # (score, answerable, f1)

    def summary(self) -> dict[str, float]:
        lat = sorted(self.latencies_ms)
        summary = {
            "questions": self.answerable + self.unanswerable,
            "recall@1": recall_at_k(self.relevance, 1) if self.relevance else 0.0,
            "recall@5": recall_at_k(self.relevance, 5) if self.relevance else 0.0,
            "MRR": mrr(self.relevance),
            "EM": statistics.fmean(self.em) if self.em else 0.0,
            "F1": statistics.fmean(self.f1) if self.f1 else 0.0,
            "answered": self.answered_on_answerable / self.answerable if self.answerable else 0.0,
            "p50 ms": _percentile(lat, 50),
            "p95 ms": _percentile(lat, 95),
        }
        if self.unanswerable:
            summary["refusal acc"] = self.refused_on_unanswerable / self.unanswerable
        return summary


def run(pipeline: Pipeline, questions: Sequence[Question], k: int = 5, mode: str = "hybrid") -> Scores:
    scores = Scores(mode)
    for question in questions:
        started = time.perf_counter()
        try:
            result = pipeline.ask(question.question, k=k, mode=mode)
        except QuestionError:  # CMRC has two empty questions: they count as unanswered misses
            result = Result(question.question, None, (), ())
        scores.latencies_ms.append((time.perf_counter() - started) * 1000)
        predicted = result.answer.text if result.answer is not None else ""
        if not question.answers:
            scores.unanswerable += 1
            scores.refused_on_unanswerable += result.answer is None
            scores.answer_scores.append((result.answer.score if result.answer else None, False, 0.0))
            continue
        golds = [normalize_answer(answer) for answer in question.answers]
        scores.answerable += 1
        scores.relevance.append(
            [
                (question.doc_id is None or hit.passage.doc_id == question.doc_id)
                and any(gold and gold in normalize_answer(hit.passage.text) for gold in golds)
                for hit in result.hits
            ]
        )
        f1 = f1_score(predicted, question.answers) if predicted else 0.0
        scores.em.append(exact_match(predicted, question.answers) if predicted else 0.0)
        scores.f1.append(f1)
        scores.answered_on_answerable += result.answer is not None
        scores.answer_scores.append((result.answer.score if result.answer else None, True, f1))
    return scores


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(rows: Sequence[dict[str, float]], label: str = "mode", labels: Sequence[str] = ()) -> str:
    """A Markdown table of summaries, one row each."""
    columns = list(rows[0])
    lines = ["| " + " | ".join([label, *columns]) + " |", "|" + "---|" * (len(columns) + 1)]
    for name, row in zip(labels, rows):
        cells = [f"{row[c]:.3f}" if isinstance(row[c], float) and c not in ("p50 ms", "p95 ms") else
                 f"{row[c]:.1f}" if isinstance(row[c], float) else str(row[c]) for c in columns]
        lines.append("| " + " | ".join([name, *cells]) + " |")
    return "\n".join(lines)


def _percentile(values: Sequence[float], q: int) -> float:
    if not values:
        return 0.0
    return float(statistics.quantiles(values, n=100, method="inclusive")[q - 1]) if len(values) > 1 else values[0]

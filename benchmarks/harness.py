"""Shared by the benchmark scripts: ask a list of questions and score answers and retrieval.

Entry point: ``run(pipeline, questions, k, mode) -> Scores``. A retrieved passage counts as
relevant when it contains a gold answer (after CMRC normalisation) and, when the question
names one, belongs to the question's own document.
"""
from __future__ import annotations

import json
import resource
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

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


@dataclass(frozen=True)
class Outcome:
    """One question asked with the reader always answering (no threshold)."""

    qid: str
    answer: str  # "" when the reader found nothing
    answerable: bool
    relevance: tuple[bool, ...]  # per returned passage
    score: float | None  # the answer's confidence, None when the reader found nothing
    em: float
    f1: float


@dataclass
class Scores:
    mode: str
    outcomes: list[Outcome] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)

    def summary(self, threshold: float) -> dict[str, float]:
        """Quality as the product would show it with no-answer threshold ``threshold``."""
        answerable = [o for o in self.outcomes if o.answerable]
        unanswerable = [o for o in self.outcomes if not o.answerable]
        relevance = [list(o.relevance) for o in answerable]
        kept = [o.score is not None and o.score >= threshold for o in answerable]
        lat = sorted(self.latencies_ms)
        summary = {
            "questions": len(self.outcomes),
            "recall@1": recall_at_k(relevance, 1) if relevance else 0.0,
            "recall@5": recall_at_k(relevance, 5) if relevance else 0.0,
            "MRR": mrr(relevance),
            "EM": statistics.fmean(o.em * k for o, k in zip(answerable, kept)) if answerable else 0.0,
            "F1": statistics.fmean(o.f1 * k for o, k in zip(answerable, kept)) if answerable else 0.0,
            "answered": statistics.fmean(kept) if kept else 0.0,
            "p50 ms": _percentile(lat, 50),
            "p95 ms": _percentile(lat, 95),
        }
        if unanswerable:
            summary["refusal acc"] = statistics.fmean(
                o.score is None or o.score < threshold for o in unanswerable
            )
        summary["overall F1"] = self.overall_f1(threshold)
        return summary

    def overall_f1(self, threshold: float) -> float:
        """SQuAD 2.0's F1 over every question: an answerable one scores its F1 when answered and
        0 when refused, an unanswerable one 1 when refused and 0 when answered."""
        if not self.outcomes:
            return 0.0
        return statistics.fmean(
            (o.f1 if answered else 0.0) if o.answerable else float(not answered)
            for o in self.outcomes
            for answered in [o.score is not None and o.score >= threshold]
        )

    def best_threshold(self) -> float:
        """The no-answer threshold with the highest ``overall_f1`` (SQuAD 2.0's best_f1_thresh),
        taken midway between two neighbouring observed scores so that it does not sit on one
        question's score; of equal thresholds, the one nearest 0."""
        observed = sorted({o.score for o in self.outcomes if o.score is not None})
        if not observed:
            return 0.0
        candidates = [observed[0] - 1.0, *((a + b) / 2 for a, b in zip(observed, observed[1:])), observed[-1] + 1.0]
        return max(candidates, key=lambda threshold: (round(self.overall_f1(threshold), 9), -abs(threshold)))


def run(pipeline: Pipeline, questions: Sequence[Question], k: int = 5, mode: str = "hybrid") -> Scores:
    """Ask every question; give ``pipeline`` ``answer_min_score=-inf`` so thresholds apply afterwards."""
    scores = Scores(mode)
    for question in questions:
        started = time.perf_counter()
        try:
            result = pipeline.ask(question.question, k=k, mode=mode)
        except QuestionError:  # CMRC has two empty questions: they count as unanswered misses
            result = Result(question.question, None, (), ())
        scores.latencies_ms.append((time.perf_counter() - started) * 1000)
        answer = result.answer
        predicted = answer.text if answer is not None else ""
        golds = [normalize_answer(gold) for gold in question.answers]
        relevance = tuple(
            bool(golds)
            and (question.doc_id is None or hit.passage.doc_id == question.doc_id)
            and any(gold and gold in normalize_answer(hit.passage.text) for gold in golds)
            for hit in result.hits
        )
        scores.outcomes.append(
            Outcome(
                qid=question.qid,
                answer=predicted,
                answerable=bool(question.answers),
                relevance=relevance,
                score=answer.score if answer is not None else None,
                em=exact_match(predicted, question.answers) if predicted and golds else 0.0,
                f1=f1_score(predicted, question.answers) if predicted and golds else 0.0,
            )
        )
    return scores


def dump(scores: Scores, path: Path) -> None:
    """Write every question's outcome as JSON lines (for comparing readers question by question)."""
    with path.open("w", encoding="utf-8") as out:
        for outcome in scores.outcomes:
            out.write(json.dumps(asdict(outcome), ensure_ascii=False) + "\n")


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

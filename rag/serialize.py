"""JSON-ready dictionaries of results, the one shape shared by the CLI, batch mode and the web API."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rag.citations import format_citation
from rag.models import Answer, Hit, Result


def answer_record(answer: Answer | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    return {
        "text": answer.text,
        "sentence": answer.sentence,
        "doc_id": answer.doc_id,
        "source": answer.source,
        "passage_id": answer.passage_id,
        "start": answer.start,
        "end": answer.end,
        "score": round(answer.score, 4),
    }


def hit_record(hit: Hit) -> dict[str, Any]:
    passage = hit.passage
    return {
        "passage_id": passage.passage_id,
        "doc_id": passage.doc_id,
        "source": passage.source,
        "title": passage.title,
        "text": passage.text,
        "start": passage.start,
        "end": passage.end,
        "score": round(hit.score, 4),
    }


def result_record(result: Result, question_id: Any = None) -> dict[str, Any]:
    """``{"id","question","answer","passages"}``: the ``rag batch`` line for one question."""
    return {
        "id": question_id,
        "question": result.question,
        "answer": answer_record(result.answer),
        "passages": [hit_record(hit) for hit in result.hits],
    }


def citation_records(result: Result) -> list[dict[str, Any]]:
    return [{**asdict(citation), "label": format_citation(citation)} for citation in result.citations]

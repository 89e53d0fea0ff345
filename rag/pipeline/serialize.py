"""JSON-ready records of answers, passages and citations: one module for every output shape.

``batch_record`` / ``passage_record`` are the CLI's fixed ``rag batch`` shape; ``result_record`` /
``cited_hit_record`` / ``citation_record`` are what the web API and the staff export return.
"""
from __future__ import annotations

from typing import Any

from rag.pipeline.citations import format_citation
from rag.models import Answer, Citation, Hit, Result


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


def passage_record(hit: Hit) -> dict[str, Any]:
    """A ranked passage as ``rag batch`` and ``rag search --json`` print it."""
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


def batch_record(result: Result, question_id: Any = None) -> dict[str, Any]:
    """``{"id","question","answer","passages"}``: the ``rag batch`` line for one question."""
    return {
        "id": question_id,
        "question": result.question,
        "answer": answer_record(result.answer),
        "passages": [passage_record(hit) for hit in result.hits],
    }


def citation_record(citation: Citation) -> dict[str, Any]:
    """A citation's parts plus the line shown to users (``[1] 标题 · 报纸 · 日期 · 小标题 · 第3段``)."""
    return {
        "number": citation.number,
        "text": format_citation(citation),
        "title": citation.title,
        "newspaper": citation.newspaper,
        "date": citation.date,
        "section": citation.section,
        "paragraph": citation.paragraph,
        "quote": citation.quote,
        "source": citation.source,
        "doc_id": citation.doc_id,
        "passage_id": citation.passage_id,
    }


def cited_hit_record(hit: Hit, citation: Citation) -> dict[str, Any]:
    """One ranked passage with its scores and citation."""
    passage = hit.passage
    return {
        "rank": citation.number,
        "citation": format_citation(citation),
        "score": hit.score,
        "lexical": hit.lexical,
        "dense": hit.dense,
        "text": passage.text,
        "title": passage.title,
        "newspaper": citation.newspaper,
        "date": citation.date,
        "section": passage.section,
        "paragraph": passage.paragraph,
        "source": passage.source,
        "doc_id": passage.doc_id,
        "passage_id": passage.passage_id,
        "start": passage.start,
        "end": passage.end,
    }


def result_record(result: Result, asked: str | None = None) -> dict[str, Any]:
    """Everything ``ask`` found, JSON-ready.

    ``asked`` is the question actually answered when it differs from ``result.question``'s
    wording as typed (a rewritten follow-up); it defaults to ``result.question``.
    """
    return {
        "question": result.question,
        "asked": asked if asked is not None else result.question,
        "answer": answer_record(result.answer),
        "message": result.message,
        "notes": list(result.notes),
        "citations": [citation_record(citation) for citation in result.citations],
        "passages": [
            cited_hit_record(hit, citation)
            for hit, citation in zip(result.hits, result.citations, strict=True)
        ],
    }

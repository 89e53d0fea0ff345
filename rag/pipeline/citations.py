"""Citations a person can check: ``cite(number, passage, document, quote)`` and ``format_citation``."""
from __future__ import annotations

from rag.models import Citation, Document, Passage


def cite(number: int, passage: Passage, document: Document, quote: str) -> Citation:
    """The citation shown as ``[number]`` for ``passage``, quoting ``quote`` (one of its sentences)."""
    return Citation(
        number=number,
        doc_id=passage.doc_id,
        source=passage.source,
        passage_id=passage.passage_id,
        title=document.title,
        newspaper=document.newspaper,
        date=document.date,
        section=passage.section,
        paragraph=passage.paragraph,
        quote=quote,
    )


def format_citation(citation: Citation) -> str:
    """``[1] 标题 · 吉林日报 · 2026-01-30 · 小标题 · 第3段`` (parts the article lacks are left out,
    and so is a section heading that only repeats the title: the text before an article's first
    subheading sits under the title line)."""
    section = "" if citation.section == citation.title else citation.section
    parts = [citation.title, citation.newspaper, citation.date or "", section]
    parts = [part for part in parts if part]
    parts.append(f"第{citation.paragraph}段")
    return f"[{citation.number}] " + " · ".join(parts)

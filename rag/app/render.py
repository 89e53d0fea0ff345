"""HTML for the web app: answers, citations, passages, search results and articles.

Pure functions from the library's dataclasses to HTML strings; ``reply_html(result, …)`` is the
chat reply, ``search_results_html`` / ``article_html`` / ``library_html`` the staff views, and
``STYLESHEET`` the CSS for the classes used here. Every piece of corpus text and user input
goes through ``html.escape`` — nothing the user or an article says is ever markup.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from rag.pipeline.citations import format_citation
from rag.app.highlight import match_spans
from rag.models import Citation, Document, Hit, Paragraph, Result


def escape(text: str) -> str:
    """``text`` as HTML text: ``<``, ``>``, ``&`` and both quote marks escaped."""
    return html.escape(text, quote=True)


def marked_text(text: str, spans: Sequence[tuple[int, int]], css_class: str) -> str:
    """Escaped ``text`` with ``<mark class=css_class>`` around each ``(start, end)`` span.

    Spans are relative to ``text``, sorted and non-overlapping (as ``match_spans`` returns
    them); parts falling outside ``text`` are clipped.
    """
    parts: list[str] = []
    position = 0
    for start, end in spans:
        start, end = max(start, position), min(end, len(text))
        if start >= end:
            continue
        parts.append(escape(text[position:start]))
        parts.append(f'<mark class="{css_class}">{escape(text[start:end])}</mark>')
        position = end
    parts.append(escape(text[position:]))
    return "".join(parts)


def highlighted(text: str, terms: Sequence[str]) -> str:
    """Escaped ``text`` with the query ``terms`` marked (class ``term``)."""
    return marked_text(text, match_spans(text, terms), "term")


def citation_text(citation: Citation) -> str:
    """``[1] 标题 · 吉林日报 · 2026-01-30 · 小标题 · 第3段``, escaped."""
    return escape(format_citation(citation))


def user_html(question: str, max_chars: int) -> str:
    """The user's chat message, shown as text; past ``max_chars`` it is cut and its length shown."""
    if len(question) <= max_chars:
        return f'<p class="rag-user">{escape(question)}</p>'
    return (
        f'<p class="rag-user">{escape(question[:max_chars])}'
        f'<span class="rag-note">…（共 {len(question)} 字）</span></p>'
    )


def notice_html(message: str) -> str:
    """A friendly one-line message (empty question, question too long, server busy…)."""
    return f'<div class="rag-reply"><p class="rag-notice">{escape(message)}</p></div>'


def reply_html(
    result: Result,
    documents: Mapping[str, Document],
    terms: Sequence[str],
    context_paragraphs: int,
    notes: Sequence[str] = (),
) -> str:
    """The chat reply: the answer with its span marked in its sentence, citations, passages.

    Without an answer the reply says so and lists the closest passages as 可能相关的段落.
    ``notes`` are shown above the reply next to ``result.notes`` (e.g. how a follow-up was read).
    """
    by_passage = {citation.passage_id: citation for citation in result.citations}
    parts = ['<div class="rag-reply">']
    parts.extend(f'<p class="rag-note">{escape(note)}</p>' for note in (*notes, *result.notes))
    answer = result.answer
    if answer is not None:
        document = documents[answer.doc_id]
        sentence = document.text[answer.sentence_start : answer.sentence_end]
        span = (answer.start - answer.sentence_start, answer.end - answer.sentence_start)
        cited = by_passage.get(answer.passage_id)
        reference = f' <sup class="rag-ref">[{cited.number}]</sup>' if cited is not None else ""
        parts.append(
            '<div class="rag-answer">'
            f'<p class="rag-answer-text">答：<strong>{escape(answer.text)}</strong></p>'
            f'<blockquote class="rag-sentence">{marked_text(sentence, [span], "answer")}'
            f"{reference}</blockquote></div>"
        )
        parts.append(_citations_html(result.citations))
        parts.append(_passages_html(result, documents, terms, context_paragraphs, "支持段落"))
    else:
        parts.append(f'<p class="rag-no-answer">{escape(result.message)}</p>')
        if result.hits:
            parts.append(
                _passages_html(result, documents, terms, context_paragraphs, "可能相关的段落")
            )
            parts.append(_citations_html(result.citations))
    parts.append("</div>")
    return "".join(parts)


def _citations_html(citations: Sequence[Citation]) -> str:
    if not citations:
        return ""
    items = "".join(f'<li class="rag-citation">{citation_text(c)}</li>' for c in citations)
    return f'<h4 class="rag-heading">出处</h4><ul class="rag-citations">{items}</ul>'


def _passages_html(
    result: Result,
    documents: Mapping[str, Document],
    terms: Sequence[str],
    context_paragraphs: int,
    heading: str,
) -> str:
    blocks = [
        passage_html(hit, citation, documents[hit.passage.doc_id], terms, context_paragraphs)
        for hit, citation in zip(result.hits, result.citations, strict=True)
    ]
    return f'<h4 class="rag-heading">{escape(heading)}</h4>' + "".join(blocks)


def passage_html(
    hit: Hit,
    citation: Citation,
    document: Document,
    terms: Sequence[str],
    context_paragraphs: int,
) -> str:
    """One supporting passage, expandable to its neighbouring paragraphs, query words marked.

    Folded, it shows two lines from the sentence its citation quotes (…208项…, not the
    passage's first lines about something else), with … where text before is left out.
    """
    passage = hit.passage
    quoted = passage.text.find(citation.quote) if citation.quote else -1
    snippet = highlighted(passage.text[max(0, quoted) :], terms)
    if quoted > 0:
        snippet = "…" + snippet
    return (
        '<details class="rag-passage">'
        f'<summary><span class="rag-ref">[{citation.number}]</span>'
        f'<span class="rag-snippet">{snippet}</span>'
        '<span class="rag-toggle"></span></summary>'
        f'<div class="rag-context"><p class="rag-context-cite">{citation_text(citation)}</p>'
        f"{context_html(document, passage.start, passage.end, terms, context_paragraphs)}"
        "</div></details>"
    )


def context_html(
    document: Document, start: int, end: int, terms: Sequence[str], context_paragraphs: int
) -> str:
    """The paragraphs holding ``document.text[start:end]`` plus ``context_paragraphs`` on each
    side, with that range shaded and the query words marked."""
    touched = [
        index
        for index, paragraph in enumerate(document.paragraphs)
        if paragraph.start < end and start < paragraph.end
    ]
    if not touched:
        return f"<p>{highlighted(document.text[start:end], terms)}</p>"
    first = max(0, touched[0] - context_paragraphs)
    last = min(len(document.paragraphs), touched[-1] + context_paragraphs + 1)
    return "".join(
        _paragraph_html(document, paragraph, (start, end), terms)
        for paragraph in document.paragraphs[first:last]
    )


def _paragraph_html(
    document: Document,
    paragraph: Paragraph,
    shaded: tuple[int, int] | None,
    terms: Sequence[str],
    number: int | None = None,
) -> str:
    """A paragraph with an optional shaded range (document offsets) and marked query words."""
    pieces: list[tuple[int, int, bool]] = [(paragraph.start, paragraph.end, False)]
    if shaded is not None and shaded[0] < paragraph.end and paragraph.start < shaded[1]:
        inner_start, inner_end = max(shaded[0], paragraph.start), min(shaded[1], paragraph.end)
        pieces = [
            (paragraph.start, inner_start, False),
            (inner_start, inner_end, True),
            (inner_end, paragraph.end, False),
        ]
    body = []
    for piece_start, piece_end, inside in pieces:
        if piece_start >= piece_end:
            continue
        text = highlighted(document.text[piece_start:piece_end], terms)
        body.append(f'<span class="rag-shaded">{text}</span>' if inside else text)
    label = f'<span class="rag-para-no">{number}</span>' if number is not None else ""
    if paragraph.kind == "heading":
        return f'<p class="rag-para rag-para-heading">{"".join(body)}</p>'
    return f'<p class="rag-para rag-para-{escape(paragraph.kind)}">{label}{"".join(body)}</p>'


def _score_text(hit: Hit) -> str:
    parts = [f"得分 {hit.score:.3f}"]
    if hit.lexical is not None:
        parts.append(f"关键词 {hit.lexical:.2f}")
    if hit.dense is not None:
        parts.append(f"语义 {hit.dense:.3f}")
    return " · ".join(parts)


def search_results_html(
    hits: Sequence[Hit], citations: Sequence[Citation], terms: Sequence[str]
) -> str:
    """The 检索 tab's result list; each item carries ``data-index`` for selecting it."""
    if not hits:
        return '<div class="rag-results"><p class="rag-notice">没有找到匹配的段落。</p></div>'
    items = []
    for index, (hit, citation) in enumerate(zip(hits, citations, strict=True)):
        items.append(
            f'<li class="rag-result" data-index="{index}" tabindex="0" role="button" '
            f'title="查看全文">'
            f'<div class="rag-result-head"><span class="rag-cite">{citation_text(citation)}</span>'
            f'<span class="rag-score">{_score_text(hit)}</span></div>'
            f'<p class="rag-result-text">{highlighted(hit.passage.text, terms)}</p></li>'
        )
    return (
        f'<div class="rag-results"><p class="rag-count">共 {len(hits)} 条结果，点击一条查看全文。</p>'
        f'<ol class="rag-result-list">{"".join(items)}</ol></div>'
    )


def _metadata_html(document: Document, passage_count: int | None) -> str:
    rows = [
        ("报纸", document.newspaper),
        ("日期", document.date or "未注明"),
        ("版面", document.page),
        ("作者", "、".join(document.authors)),
        ("文件", document.source),
        ("检索段落", "" if passage_count is None else f"{passage_count} 个"),
    ]
    cells = "".join(
        f"<div><dt>{escape(label)}</dt><dd>{escape(value)}</dd></div>"
        for label, value in rows
        if value
    )
    return f'<dl class="rag-meta">{cells}</dl>'


def article_html(
    document: Document,
    passage_count: int | None = None,
    marked: tuple[int, int] | None = None,
    terms: Sequence[str] = (),
) -> str:
    """The whole cleaned article with its metadata; ``marked`` (document offsets) is shaded.

    Body, caption and credit paragraphs are numbered the way citations count them (第N段).
    """
    parts = [f'<article class="rag-article"><h3 class="rag-title">{escape(document.title)}</h3>']
    if document.subtitle:
        parts.append(f'<p class="rag-subtitle">{escape(document.subtitle)}</p>')
    parts.append(_metadata_html(document, passage_count))
    number = 0
    for paragraph in document.paragraphs:
        if paragraph.kind != "heading":
            number += 1
        parts.append(
            _paragraph_html(
                document,
                paragraph,
                marked,
                terms,
                number if paragraph.kind != "heading" else None,
            )
        )
    parts.append("</article>")
    return "".join(parts)


def library_html(documents: Sequence[Document], passage_counts: Mapping[str, int]) -> str:
    """A table of the corpus: title, newspaper, date, page, authors, passages, characters."""
    rows = "".join(
        _library_row(document, passage_counts.get(document.doc_id, 0)) for document in documents
    )
    return (
        '<div class="rag-table-wrap"><table class="rag-library"><thead><tr>'
        "<th>标题</th><th>报纸</th><th>日期</th><th>版面</th><th>作者</th>"
        "<th>检索段落</th><th>字数</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )


def _library_row(document: Document, passage_count: int) -> str:
    subtitle = f"<br><small>{escape(document.subtitle)}</small>" if document.subtitle else ""
    cells = [
        f'<td class="rag-col-title">{escape(document.title)}{subtitle}</td>',
        f"<td>{escape(document.newspaper or '—')}</td>",
        f"<td>{escape(document.date or '未注明')}</td>",
        f"<td>{escape(document.page or '—')}</td>",
        f"<td>{escape('、'.join(document.authors) or '—')}</td>",
        f'<td class="rag-num">{passage_count}</td>',
        f'<td class="rag-num">{len(document.text)}</td>',
    ]
    return f"<tr>{''.join(cells)}</tr>"


STYLESHEET = """
.rag-reply, .rag-results, .rag-article, .rag-table-wrap { overflow-wrap: anywhere; line-height: 1.7; }
.rag-reply p, .rag-article p { margin: 0.35em 0; }
.rag-user { margin: 0; font-weight: 600; }
.rag-note, .rag-notice, .rag-count { color: var(--body-text-color-subdued); font-size: 0.92em; }
.rag-answer-text { font-size: 1.08em; }
.rag-sentence { margin: 0.4em 0 0.6em; padding: 0.3em 0.8em; border-left: 3px solid var(--color-accent); background: var(--background-fill-secondary); }
mark.answer { background: #ffd54f; color: #1a1a1a; padding: 0 2px; border-radius: 3px; font-weight: 600; }
mark.term { background: #fff3b0; color: inherit; padding: 0; border-radius: 2px; }
.dark mark.term { background: #6b5d1a; }
.rag-heading { margin: 0.8em 0 0.3em; font-size: 0.95em; font-weight: 600; }
.rag-citations { margin: 0; padding-left: 0; list-style: none; font-size: 0.9em; }
.rag-citation { margin: 0.15em 0; }
.rag-ref { color: var(--color-accent); font-weight: 600; }
.rag-passage { margin: 0.3em 0; padding: 0.3em 0.6em; border: 1px solid var(--border-color-primary); border-radius: 6px; font-size: 0.93em; }
.rag-passage summary { cursor: pointer; list-style: none; display: flex; gap: 0.4em; align-items: baseline; }
.rag-passage summary::-webkit-details-marker { display: none; }
.rag-snippet { flex: 1; min-width: 0; }
.rag-passage:not([open]) .rag-snippet { display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
.rag-passage[open] .rag-snippet { display: none; }
.rag-toggle { margin-left: auto; white-space: nowrap; color: var(--color-accent); font-size: 0.85em; }
.rag-passage:not([open]) .rag-toggle::after { content: "展开 ▾"; }
.rag-passage[open] .rag-toggle::after { content: "收起 ▴"; }
.rag-context { margin-top: 0.4em; padding-top: 0.4em; border-top: 1px dashed var(--border-color-primary); }
.rag-context-cite { color: var(--body-text-color-subdued); font-size: 0.9em; }
.rag-shaded { background: var(--color-accent-soft); border-radius: 2px; }
.rag-para-heading { font-weight: 600; }
.rag-para-caption { font-style: italic; color: var(--body-text-color-subdued); }
.rag-para-credits { font-size: 0.9em; color: var(--body-text-color-subdued); }
.rag-para-no { display: inline-block; min-width: 2.2em; margin-right: 0.4em; color: var(--body-text-color-subdued); font-size: 0.8em; }
.rag-no-answer { font-weight: 600; }
.rag-result-list { margin: 0; padding: 0; list-style: none; }
.rag-result { margin: 0.5em 0; padding: 0.5em 0.8em; border: 1px solid var(--border-color-primary); border-radius: 8px; cursor: pointer; }
.rag-result:hover, .rag-result:focus { border-color: var(--color-accent); outline: none; }
.rag-result.rag-selected { border-color: var(--color-accent); box-shadow: 0 0 0 1px var(--color-accent); }
.rag-result-head { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 0.2em 1em; font-size: 0.9em; }
.rag-cite { font-weight: 600; }
.rag-score { color: var(--body-text-color-subdued); white-space: nowrap; }
.rag-title { margin: 0 0 0.2em; }
.rag-article-view .rag-title { position: sticky; top: 0; z-index: 1; padding: 0.2em 0; background: var(--background-fill-primary); }
.rag-subtitle { color: var(--body-text-color-subdued); }
.rag-meta { display: flex; flex-wrap: wrap; gap: 0.2em 1.2em; margin: 0.4em 0 0.8em; font-size: 0.9em; }
.rag-meta div { display: flex; gap: 0.4em; }
.rag-meta dt { color: var(--body-text-color-subdued); }
.rag-meta dd { margin: 0; }
.rag-article .rag-shaded { display: inline; padding: 2px 0; }
.rag-table-wrap { overflow-x: auto; }
.rag-library { width: 100%; border-collapse: collapse; font-size: 0.92em; border: none !important; }
.rag-library tr { border: none !important; }
.rag-library th, .rag-library td { padding: 0.35em 0.6em; border: none !important; border-bottom: 1px solid var(--border-color-primary) !important; text-align: left; vertical-align: top; }
.rag-library thead th { background: var(--background-fill-secondary); }
.rag-library .rag-num { text-align: right; white-space: nowrap; }
.rag-library .rag-col-title { min-width: 12em; }
"""

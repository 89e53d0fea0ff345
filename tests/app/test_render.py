"""Tests for rag.app.render: answers, citations, passages and articles as escaped HTML."""
from __future__ import annotations

import dataclasses
import re

from rag.pipeline.citations import cite
from rag.models import Answer, Document, Hit, Paragraph, Passage, Result
from rag.app.render import (
    escape,
    article_html,
    context_html,
    library_html,
    marked_text,
    notice_html,
    passage_html,
    reply_html,
    search_results_html,
    user_html,
)

TEXT = "交通织网\n辽源将推进普铁外迁工程。\n长辽四通高铁预计“十五五”末期建成通车。\n届时辽源到长春只需30分钟。"


def _paragraphs(text: str, kinds: tuple[str, ...], section: str) -> tuple[Paragraph, ...]:
    paragraphs, start = [], 0
    for line, kind in zip(text.split("\n"), kinds, strict=True):
        paragraphs.append(Paragraph(start, start + len(line), kind, section))
        start += len(line) + 1
    return tuple(paragraphs)


def _document(text: str = TEXT, title: str = "以实干实绩展现辽源新作为") -> Document:
    return Document(
        doc_id="d1",
        source="000_test.txt",
        title=title,
        text=text,
        paragraphs=_paragraphs(text, ("heading", "body", "body", "body"), "交通织网"),
        subtitle="——从建设长春现代化都市圈洞察",
        newspaper="吉林日报",
        date="2026-01-30",
        page="03",
        authors=("赵蓓蓓", "庞智源"),
    )


def _passage(document: Document, paragraph_index: int, number: int) -> Passage:
    paragraph = document.paragraphs[paragraph_index]
    return Passage(
        passage_id=f"d1#p{number:03d}",
        doc_id="d1",
        source=document.source,
        title=document.title,
        section=paragraph.section,
        paragraph=paragraph_index,  # headings do not count: paragraph 1 is index 1 here
        start=paragraph.start,
        end=paragraph.end,
        text=document.text[paragraph.start : paragraph.end],
    )


def _result(document: Document, with_answer: bool = True, question: str = "长辽四通高铁什么时候通车？") -> Result:
    passages = [_passage(document, 2, 2), _passage(document, 1, 1)]
    hits = tuple(Hit(passage, score) for passage, score in zip(passages, (0.9, 0.4), strict=True))
    citations = tuple(
        cite(number, hit.passage, document, hit.passage.text) for number, hit in enumerate(hits, 1)
    )
    answer = None
    if with_answer:
        sentence_start = document.paragraphs[2].start
        start = document.text.index("“十五五”末期")
        answer = Answer(
            text="“十五五”末期",
            sentence=document.text[sentence_start : document.paragraphs[2].end],
            doc_id="d1",
            source=document.source,
            passage_id=passages[0].passage_id,
            start=start,
            end=start + len("“十五五”末期"),
            sentence_start=sentence_start,
            sentence_end=document.paragraphs[2].end,
            score=0.8,
        )
    message = "" if with_answer else "资料中没有找到相关答案。"
    return Result(question, answer, hits, citations, message)


def test_marked_text_escapes_and_marks_spans_and_clips_out_of_range_ones():
    assert marked_text("a<b>c", [(1, 4)], "hl") == 'a<mark class="hl">&lt;b&gt;</mark>c'
    assert marked_text("abc", [(2, 10)], "hl") == 'ab<mark class="hl">c</mark>'
    assert marked_text("abc", [], "hl") == "abc"


def test_reply_marks_the_exact_answer_span_inside_its_sentence():
    document = _document()
    html = reply_html(_result(document), {"d1": document}, ["高铁"], context_paragraphs=1)
    assert '<mark class="answer">“十五五”末期</mark>' in html
    sentence = re.search(r'<blockquote class="rag-sentence">(.*?)</blockquote>', html).group(1)
    assert re.sub(r"<[^>]+>", "", sentence).startswith("长辽四通高铁预计“十五五”末期建成通车。")
    assert '<sup class="rag-ref">[1]</sup>' in sentence
    assert "答：<strong>“十五五”末期</strong>" in html


def test_reply_lists_numbered_citations_then_expandable_passages_in_order():
    document = _document()
    html = reply_html(_result(document), {"d1": document}, ["高铁"], context_paragraphs=1)
    citations = re.findall(r'<li class="rag-citation">(.*?)</li>', html)
    assert citations == [
        "[1] 以实干实绩展现辽源新作为 · 吉林日报 · 2026-01-30 · 交通织网 · 第2段",
        "[2] 以实干实绩展现辽源新作为 · 吉林日报 · 2026-01-30 · 交通织网 · 第1段",
    ]
    assert html.index("出处") < html.index("支持段落") < html.index("<details")
    assert html.count('<details class="rag-passage">') == 2
    assert '<mark class="term">高铁</mark>' in html


def test_a_folded_passage_starts_at_the_sentence_its_citation_quotes():
    text = "交通织网\n辽源将推进普铁外迁工程。长辽四通高铁预计“十五五”末期建成通车。"
    document = dataclasses.replace(
        _document(), text=text, paragraphs=_paragraphs(text, ("heading", "body"), "交通织网")
    )
    hit = Hit(_passage(document, 1, 1), 0.9)

    def snippet(quote: str) -> str:
        html = passage_html(hit, cite(1, hit.passage, document, quote), document, [], 1)
        return re.search(r'<span class="rag-snippet">(.*?)</span>', html).group(1)

    assert snippet("长辽四通高铁预计“十五五”末期建成通车。") == "…长辽四通高铁预计“十五五”末期建成通车。"
    assert snippet("辽源将推进普铁外迁工程。") == hit.passage.text  # the whole passage, no …
    # unfolded, the whole passage is there
    quoted = cite(1, hit.passage, document, "长辽四通高铁预计“十五五”末期建成通车。")
    assert "普铁外迁工程" in passage_html(hit, quoted, document, [], 1).split("rag-context-cite")[1]


def test_expanded_passage_shows_neighbouring_paragraphs_with_the_passage_shaded():
    document = _document()
    passage = _passage(document, 2, 2)
    html = context_html(document, passage.start, passage.end, ["辽源"], context_paragraphs=1)
    assert "普铁外迁工程" in html and "30分钟" in html  # the paragraph before and after
    assert '<span class="rag-shaded">长辽四通高铁预计“十五五”末期建成通车。</span>' in html
    assert '<mark class="term">辽源</mark>' in html
    assert "交通织网" not in context_html(document, passage.start, passage.end, [], 0)


def test_no_answer_says_so_and_shows_closest_passages_as_possibly_relevant():
    document = _document()
    html = reply_html(_result(document, with_answer=False), {"d1": document}, [], 1)
    assert "资料中没有找到相关答案。" in html
    assert "可能相关的段落" in html and "支持段落" not in html
    assert 'class="answer"' not in html


def test_notes_are_shown_above_the_reply():
    document = _document()
    html = reply_html(_result(document), {"d1": document}, [], 1, notes=["按上文理解为：X"])
    assert html.index("按上文理解为：X") < html.index("rag-answer")


HOSTILE = ['<script>alert(1)</script>', '<img src=x onerror="alert(1)">', '"><svg onload=alert(1)>']


def test_user_input_and_corpus_text_never_become_markup():
    for payload in HOSTILE:
        text = f"交通织网\n辽源{payload}推进工程。\n长辽四通高铁预计“十五五”末期建成通车。\n届时辽源到长春只需30分钟。"
        document = _document(text, title=f"标题{payload}")
        result = _result(document, question=payload)
        outputs = [
            reply_html(result, {"d1": document}, [payload, "辽源"], 1),
            reply_html(_result(document, with_answer=False), {"d1": document}, [payload], 1),
            user_html(payload, 500),
            notice_html(payload),
            search_results_html(result.hits, result.citations, [payload]),
            article_html(document, 2, (0, 10), [payload]),
            library_html([document], {"d1": 2}),
        ]
        for html in outputs:
            assert "<script" not in html and "<img" not in html and "<svg" not in html
            assert payload not in html and escape(payload) in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in user_html(HOSTILE[0], 500)
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in user_html(HOSTILE[1], 500)


def test_an_over_long_user_message_is_shown_cut_with_its_length():
    html = user_html("长" * 100_000, 500)
    assert html.count("长") == 500 and "（共 100000 字）" in html
    assert user_html("辽源", 500) == '<p class="rag-user">辽源</p>'


def test_search_results_show_score_citation_and_marked_text_with_an_index_to_select():
    document = _document()
    result = _result(document)
    hits = (Hit(result.hits[0].passage, 0.91234, lexical=7.5, dense=0.812), result.hits[1])
    html = search_results_html(hits, result.citations, ["高铁"])
    assert html.count('class="rag-result"') == 2
    assert 'data-index="0"' in html and 'data-index="1"' in html
    assert "得分 0.912 · 关键词 7.50 · 语义 0.812" in html
    assert "[1] 以实干实绩展现辽源新作为 · 吉林日报" in html
    assert '<mark class="term">高铁</mark>' in html
    assert "没有找到" in search_results_html((), (), [])


def test_article_shows_metadata_numbers_paragraphs_like_citations_and_shades_the_passage():
    document = _document()
    passage = _passage(document, 2, 2)
    html = article_html(document, passage_count=2, marked=(passage.start, passage.end))
    assert "<h3" in html and "以实干实绩展现辽源新作为" in html
    assert "吉林日报" in html and "2026-01-30" in html and "赵蓓蓓、庞智源" in html
    assert re.findall(r'<span class="rag-para-no">(\d+)</span>', html) == ["1", "2", "3"]
    assert '<p class="rag-para rag-para-heading">交通织网</p>' in html
    assert '<span class="rag-shaded">长辽四通高铁预计“十五五”末期建成通车。</span>' in html


def test_article_without_a_date_says_it_is_not_given():
    document = _document()
    undated = dataclasses.replace(document, date=None)
    assert "未注明" in article_html(undated)
    assert "未注明" in library_html([undated], {})


def test_library_lists_each_article_with_passage_and_character_counts():
    document = _document()
    html = library_html([document], {"d1": 7})
    row = re.search(r"<tbody>(.*)</tbody>", html).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[1:] == ["吉林日报", "2026-01-30", "03", "赵蓓蓓、庞智源", "7", str(len(TEXT))]

from rag.pipeline.citations import cite, format_citation
from rag.models import Document, Paragraph, Passage

DOCUMENT = Document(
    "003", "003.txt", "聚焦进位突破 共绘振兴蓝图", "长春市长顾刚介绍情况。", (Paragraph(0, 11, "body", ""),),
    newspaper="吉林日报", date="2026-01-30",
)
PASSAGE = Passage("003#p001", "003", "003.txt", DOCUMENT.title, "勇担使命", 4, 0, 11, DOCUMENT.text)


def test_citation_carries_what_a_reader_checks():
    citation = cite(2, PASSAGE, DOCUMENT, quote="长春市长顾刚介绍情况。")
    assert (citation.number, citation.newspaper, citation.date, citation.section, citation.paragraph) == (
        2, "吉林日报", "2026-01-30", "勇担使命", 4,
    )
    assert citation.quote == "长春市长顾刚介绍情况。"
    assert format_citation(citation) == "[2] 聚焦进位突破 共绘振兴蓝图 · 吉林日报 · 2026-01-30 · 勇担使命 · 第4段"


def test_missing_parts_are_left_out_not_invented():
    undated = Document("x", "x.txt", "标题", "正文。", (Paragraph(0, 3, "body", ""),))
    passage = Passage("x#p001", "x", "x.txt", "标题", "", 1, 0, 3, "正文。")
    assert format_citation(cite(1, passage, undated, "正文。")) == "[1] 标题 · 第1段"


def test_a_section_that_repeats_the_title_is_not_shown_twice():
    passage = Passage("003#p001", "003", "003.txt", DOCUMENT.title, DOCUMENT.title, 1, 0, 11, DOCUMENT.text)
    citation = cite(1, passage, DOCUMENT, DOCUMENT.text)
    assert format_citation(citation) == "[1] 聚焦进位突破 共绘振兴蓝图 · 吉林日报 · 2026-01-30 · 第1段"

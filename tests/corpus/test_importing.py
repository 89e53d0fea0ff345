"""Adding a newsroom's files to a corpus folder, and deleting articles, without losing any."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.corpus.importing import HISTORY_FOLDER, ArticleMetadata, add_articles, delete_articles
from rag.corpus.loading import load_corpus
from rag.errors import CorpusError

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
ARTICLE = "辽源市：\n产业集群加快发展\n\n本报记者 赵蓓蓓\n\n长辽四通高铁辽源段全长81.6公里，预计“十五五”末期通车。\n\n辽源开通了63个圈内通办事项，群众办事更方便。\n"


def _documents(folder: Path) -> dict:
    return {document.doc_id: document for document in load_corpus(folder).documents}


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "old.txt").write_text("吉林市开通了60个圈内通办事项。\n", encoding="utf-8")
    return folder


def test_a_text_article_is_added_with_its_sidecar_and_the_given_metadata_wins(corpus, tmp_path):
    source = tmp_path / "in" / "liaoyuan.md"
    source.parent.mkdir()
    source.write_text(ARTICLE, encoding="utf-8")
    (source.parent / "liaoyuan.json").write_text(json.dumps({"newspaper": "吉林日报", "page": "03版"}), encoding="utf-8")
    report = add_articles([source], corpus, ArticleMetadata(date="2026-01-30"))
    assert (report.added, report.replaced, report.problems) == (("liaoyuan",), (), ())
    document = _documents(corpus)["liaoyuan"]
    assert (document.newspaper, document.page, document.date) == ("吉林日报", "03版", "2026-01-30")
    assert document.title == "辽源市：产业集群加快发展" and "81.6公里" in document.text


def test_an_article_of_the_same_name_replaces_the_old_one_which_is_kept(corpus, tmp_path):
    newer = tmp_path / "old.md"
    newer.write_text("吉林市开通了64个圈内通办事项。\n", encoding="utf-8")
    report = add_articles([newer], corpus)
    assert report.replaced == ("old",)
    assert "64个" in _documents(corpus)["old"].text
    assert sorted(p.name for p in corpus.iterdir() if p.is_file()) == ["old.txt"]
    kept = list((corpus / HISTORY_FOLDER).rglob("old.txt"))
    assert len(kept) == 1 and "60个" in kept[0].read_text(encoding="utf-8")


def test_an_html_page_gives_its_main_text_title_date_and_site(corpus, tmp_path):
    page = tmp_path / "page.html"
    body = "".join(
        f"<p>{sentence}</p>"
        for sentence in (
            "长辽四通高铁辽源段全长81.6公里，预计“十五五”末期通车。辽源正加快融入长春现代化都市圈。",
            "辽源开通了63个圈内通办事项，群众办事更方便了，都市圈同城化发展不断加快。",
            "四平市与长春市签订了多项合作协议，在产业协同、交通互联、公共服务共享等方面持续发力。",
        )
    )
    page.write_text(
        "<html><head><title>辽源开通63个圈内通办事项 - 吉林日报</title>"
        '<meta property="og:site_name" content="吉林日报"><meta name="pubdate" content="2026-01-30"></head>'
        '<body><nav><ul><li><a href="/">首页</a></li><li><a href="/news">新闻</a></li>'
        '<li><a href="/login">登录</a></li></ul></nav>'
        f"<article><h1>辽源开通63个圈内通办事项</h1>{body}</article>"
        '<footer><a href="/contact">联系我们</a> 版权所有 吉林日报社</footer></body></html>',
        encoding="utf-8",
    )
    assert add_articles([page], corpus).added == ("page",)
    document = _documents(corpus)["page"]
    assert (document.title, document.newspaper, document.date) == ("辽源开通63个圈内通办事项", "吉林日报", "2026-01-30")
    assert "63个圈内通办事项" in document.text and "登录" not in document.text and "联系我们" not in document.text


def test_a_word_document_gives_its_paragraphs_and_title(corpus, tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.core_properties.title = "四平特色产业"
    for paragraph in ARTICLE.split("\n\n"):
        document.add_paragraph(paragraph.strip())
    path = tmp_path / "siping.docx"
    document.save(str(path))
    assert add_articles([path], corpus).added == ("siping",)
    loaded = _documents(corpus)["siping"]
    assert loaded.title == "四平特色产业" and "63个圈内通办事项" in loaded.text


def test_a_newspaper_pdf_page_is_cleaned_like_any_article(corpus, tmp_path):
    """A page made from a seed article: page header, masthead and page number are furniture."""
    pytest.importorskip("reportlab")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    seed = (SEEDS / "003_bddec4129571bbbc.txt").read_text(encoding="utf-8")
    lines = [line.strip() for line in seed.splitlines() if line.strip()][:12]
    path = tmp_path / "page3.pdf"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(path))
    page.setFont("STSong-Light", 9)
    y = 810
    for line in ["2026年1月30日 星期五 编辑 王明 版式设计 李华", "吉林日报", *lines]:
        for start in range(0, len(line), 50):  # a column's width: the extraction hard-wraps lines
            page.drawString(40, y, line[start : start + 50])
            y -= 12
        y -= 12
    page.drawString(290, 20, "03")
    page.save()
    assert add_articles([path], corpus).added == ("page3",)
    document = _documents(corpus)["page3"]
    assert (document.date, document.newspaper) == ("2026-01-30", "吉林日报")
    wrapped = [line for line in lines if len(line) > 50 and "。" in line]
    assert wrapped and all(line in document.text for line in wrapped)  # hard wraps rejoined
    assert "星期五" not in document.text and "\n03" not in document.text


def test_files_it_cannot_read_get_one_line_each_and_the_rest_are_added(corpus, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(ARTICLE, encoding="utf-8")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("辽源".encode("gb18030"))
    broken_docx = tmp_path / "broken.docx"
    broken_docx.write_bytes(b"not a zip")
    broken_pdf = tmp_path / "broken.pdf"
    broken_pdf.write_bytes(b"%PDF-1.4 nothing else")
    sheet = tmp_path / "table.xlsx"
    sheet.write_bytes(b"x")
    missing = tmp_path / "missing.txt"
    report = add_articles([latin1, broken_docx, good, broken_pdf, sheet, missing], corpus)
    assert report.added == ("good",)
    assert len(report.problems) == 5 and all("\n" not in problem for problem in report.problems)
    for name, problem in zip(["latin1.txt", "broken.docx", "broken.pdf", "table.xlsx", "missing.txt"], report.problems):
        assert name in problem
    assert sorted(p.name for p in corpus.iterdir() if p.is_file()) == ["good.txt", "old.txt"]
    assert set(_documents(corpus)) == {"good", "old"}


def test_a_bad_date_is_refused_before_anything_is_written(corpus, tmp_path):
    source = tmp_path / "new.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    with pytest.raises(CorpusError, match="2026/01/30"):
        add_articles([source], corpus, ArticleMetadata(date="2026/01/30"))
    assert sorted(p.name for p in corpus.iterdir()) == ["old.txt"]


def test_deleted_articles_leave_the_corpus_but_are_kept(corpus):
    (corpus / "old.json").write_text('{"newspaper": "吉林日报"}', encoding="utf-8")
    (corpus / "other.txt").write_text("四平有多少个重点项目？四平有120个重点项目。\n", encoding="utf-8")
    report = delete_articles(["old", "nope"], corpus)
    assert report.deleted == ("old",) and len(report.problems) == 1 and "nope" in report.problems[0]
    assert set(_documents(corpus)) == {"other"}
    assert sorted(p.name for p in (corpus / HISTORY_FOLDER).rglob("*") if p.is_file()) == ["old.json", "old.txt"]

from rag.config import Config
from rag.models import Document, Paragraph
from rag.corpus.passages import build_passages, retrieval_text


def _document(blocks: list[tuple[str, str, str]]) -> Document:
    """Blocks of (kind, section, text) joined by newlines, as cleaning produces them."""
    paragraphs, parts, offset = [], [], 0
    for kind, section, text in blocks:
        paragraphs.append(Paragraph(offset, offset + len(text), kind, section))
        parts.append(text)
        offset += len(text) + 1
    return Document("d1", "d1.txt", "标题", "\n".join(parts), tuple(paragraphs))


SENTENCE = "辽源正全力推进长辽四通高铁项目建设并加快完善城乡路网衔接。"  # 29 chars


def test_every_passage_is_an_exact_slice_of_the_document():
    doc = _document(
        [
            ("heading", "", "交通织网：打破壁垒的“硬联通”"),
            ("body", "交通织网：打破壁垒的“硬联通”", SENTENCE * 8),
            ("body", "交通织网：打破壁垒的“硬联通”", SENTENCE * 3),
            ("caption", "交通织网：打破壁垒的“硬联通”", "东辽河源头景色如画。"),
        ]
    )
    passages = build_passages(doc, Config())
    assert passages
    for passage in passages:
        assert passage.text == doc.text[passage.start : passage.end]
        assert passage.section == "交通织网：打破壁垒的“硬联通”"


def test_passages_respect_size_and_share_one_sentence():
    doc = _document([("body", "", SENTENCE * 30)])
    config = Config(passage_min_chars=150, passage_max_chars=400)
    passages = build_passages(doc, config)
    assert len(passages) > 2
    assert all(len(p.text) <= 400 for p in passages)
    assert all(len(p.text) >= 150 for p in passages[:-1])
    for left, right in zip(passages, passages[1:]):
        assert right.start == left.end - len(SENTENCE)  # exactly one sentence of overlap


def test_captions_are_flagged_passages_of_their_own():
    doc = _document([("body", "", SENTENCE), ("caption", "", "辽源市北方林业园区生产车间。")])
    kinds = [(p.kind, p.text) for p in build_passages(doc, Config())]
    assert ("caption", "辽源市北方林业园区生产车间。") in kinds
    assert all("林业园区" not in text for kind, text in kinds if kind == "body")


def test_short_paragraphs_of_one_section_are_merged_and_opened_by_the_heading():
    doc = _document(
        [("heading", "", "甲"), ("body", "甲", "第一段。"), ("body", "甲", "第二段。"),
         ("heading", "", "乙"), ("body", "乙", "第三段。")]
    )
    passages = build_passages(doc, Config())
    assert [(p.text, p.section, p.paragraph) for p in passages] == [
        ("甲\n第一段。\n第二段。", "甲", 1),
        ("乙\n第三段。", "乙", 3),
    ]


def test_a_speaker_heading_opens_the_passage_of_the_paragraph_under_it():
    speaker = "四平市市长 陈德明：以务实举措 推动“愿景”变“实景”"
    doc = _document(
        [("heading", "", speaker), ("body", speaker, SENTENCE * 8), ("body", speaker, SENTENCE * 8)]
    )
    first, *rest = build_passages(doc, Config())
    assert first.text.startswith(speaker + "\n" + SENTENCE) and first.paragraph == 1
    assert rest and not any(speaker in p.text for p in rest)
    # The heading is indexed once: in the text of the passage it opens, as context elsewhere.
    assert retrieval_text(first).count("陈德明") == 1
    assert all(retrieval_text(p).count("陈德明") == 1 for p in rest)


def test_a_caption_under_a_heading_keeps_the_heading_out_of_the_body():
    doc = _document(
        [("heading", "", "甲"), ("caption", "甲", "四平市区一景。"), ("body", "甲", SENTENCE)]
    )
    assert [(p.kind, p.text) for p in build_passages(doc, Config())] == [
        ("caption", "四平市区一景。"), ("body", SENTENCE),
    ]


def test_a_sentence_longer_than_the_maximum_stays_whole():
    long_sentence = "很长" * 300 + "。"
    doc = _document([("body", "", long_sentence + SENTENCE)])
    passages = build_passages(doc, Config())
    assert passages[0].text == long_sentence


def test_retrieval_text_carries_title_and_section():
    doc = _document([("body", "交通织网", SENTENCE)])
    (passage,) = build_passages(doc, Config())
    assert retrieval_text(passage).startswith("标题 · 交通织网\n")

"""Tests for rag.app.export: JSON-ready records and the CSV/JSON export of search results."""
from __future__ import annotations

import csv
import json

from rag.pipeline.citations import cite
from rag.app.export import CSV_FIELDS, to_csv, write_exports
from rag.pipeline.serialize import cited_hit_record as hit_record, result_record
from rag.models import Answer, Document, Hit, Paragraph, Passage, Result

TEXT = "辽源将推进普铁外迁工程，消除15处铁路道口。"
DOCUMENT = Document(
    doc_id="d1",
    source="000_test.txt",
    title="以实干实绩展现辽源新作为",
    text=TEXT,
    paragraphs=(Paragraph(0, len(TEXT), "body", "交通织网"),),
    newspaper="吉林日报",
)
PASSAGE = Passage("d1#p001", "d1", "000_test.txt", DOCUMENT.title, "交通织网", 1, 0, len(TEXT), TEXT)
HIT = Hit(PASSAGE, 0.75, lexical=3.2, dense=None)
CITATION = cite(1, PASSAGE, DOCUMENT, TEXT)


def test_hit_record_carries_scores_citation_and_offsets():
    record = hit_record(HIT, CITATION)
    assert record["citation"] == "[1] 以实干实绩展现辽源新作为 · 吉林日报 · 交通织网 · 第1段"
    assert record["rank"] == 1 and record["score"] == 0.75 and record["dense"] is None
    assert TEXT[record["start"] : record["end"]] == record["text"]
    assert record["date"] is None  # the article gives none; nothing is invented
    assert set(record) == set(CSV_FIELDS)


def test_result_record_is_json_ready_with_answer_citations_and_passages():
    start = TEXT.index("15处")
    answer = Answer("15处", TEXT, "d1", "000_test.txt", "d1#p001", start, start + 3, 0, len(TEXT), 0.9)
    result = Result("辽源要消除多少处铁路道口？", answer, (HIT,), (CITATION,))
    record = json.loads(json.dumps(result_record(result, asked="辽源要消除多少处铁路道口？")))
    assert record["answer"]["text"] == "15处"
    assert TEXT[record["answer"]["start"] : record["answer"]["end"]] == "15处"
    assert record["citations"][0]["text"].startswith("[1] 以实干实绩展现辽源新作为")
    assert record["citations"][0]["quote"] == TEXT
    assert record["passages"][0]["passage_id"] == "d1#p001"
    assert record["asked"] == record["question"]


def test_result_record_without_an_answer_keeps_the_message():
    result = Result("辽源有几个机场？", None, (HIT,), (CITATION,), message="资料中没有找到…")
    record = result_record(result)
    assert record["answer"] is None and record["message"] == "资料中没有找到…"
    assert len(record["passages"]) == 1


def test_csv_has_a_header_in_field_order_and_empty_cells_for_missing_values():
    rows = list(csv.DictReader(to_csv([hit_record(HIT, CITATION)]).splitlines()))
    assert list(rows[0]) == list(CSV_FIELDS)
    assert rows[0]["dense"] == "" and rows[0]["date"] == ""
    assert rows[0]["text"] == TEXT  # the comma inside the text is quoted, not a new column


def test_write_exports_writes_csv_with_bom_and_json_with_citations(tmp_path):
    csv_path, json_path = write_exports(
        [hit_record(HIT, CITATION)], "铁路道口", {"mode": "hybrid", "k": 10}, tmp_path / "out"
    )
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        assert next(csv.DictReader(handle))["citation"].startswith("[1] 以实干实绩")
    exported = json.loads(json_path.read_text(encoding="utf-8"))
    assert exported["query"] == "铁路道口" and exported["settings"] == {"mode": "hybrid", "k": 10}
    assert exported["results"][0]["citation"].startswith("[1] 以实干实绩")

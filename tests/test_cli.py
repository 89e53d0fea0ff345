"""The rag command against the seed index: output shapes and error handling."""
from __future__ import annotations

import io
import json
import sys

import pytest

from rag.cli import main

pytestmark = [pytest.mark.model, pytest.mark.slow]

ANSWER_KEYS = {"text", "sentence", "doc_id", "source", "passage_id", "start", "end", "score"}
PASSAGE_KEYS = {"passage_id", "doc_id", "source", "title", "text", "start", "end", "score"}


def _run(argv, capsys, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_batch_writes_one_exact_record_per_line_and_reports_bad_lines(seed_index, capsys, monkeypatch):
    lines = '{"id": "a", "question": "辽源有多少家汽车零部件企业？"}\nnot json\n\n{"id": 7, "question": "哈尔滨冰雪大世界门票多少钱？"}\n{"id": "d"}\n'
    code, out, _ = _run(["batch", "-", "--index", str(seed_index), "--top-k", "3"], capsys, lines, monkeypatch)
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in records] == ["a", None, 7, "d"]
    good = records[0]
    assert set(good) == {"id", "question", "answer", "passages"}
    assert set(good["answer"]) == ANSWER_KEYS
    assert 1 <= len(good["passages"]) <= 3 and all(set(p) == PASSAGE_KEYS for p in good["passages"])
    assert [p["score"] for p in good["passages"]] == sorted((p["score"] for p in good["passages"]), reverse=True)
    assert records[1]["line"] == 2 and "line 2" in records[1]["error"]
    assert records[2]["answer"] is None
    assert "question" in records[3]["error"]


def test_ask_prints_answer_and_citations(seed_index, capsys):
    code, out, _ = _run(["ask", "辽源开通了多少个圈内通办事项？", "--index", str(seed_index)], capsys)
    assert code == 0 and "答案：63个" in out and "[1]" in out


def test_ask_json_has_citations(seed_index, capsys):
    code, out, _ = _run(["ask", "长春市长是谁？", "--index", str(seed_index), "--json"], capsys)
    record = json.loads(out)
    assert code == 0 and record["citations"][0]["text"].startswith("[1] ")


def test_search_filters_by_document(seed_index, capsys):
    code, out, _ = _run(["search", "高铁", "--index", str(seed_index), "--json", "--doc", "000_16c5753bd22f9982"], capsys)
    hits = json.loads(out)
    assert code == 0 and hits and {h["doc_id"] for h in hits} == {"000_16c5753bd22f9982"}


@pytest.mark.parametrize("top_k", ["0", "-3", "100000", "x"])
def test_bad_top_k_is_refused_by_the_parser(seed_index, capsys, top_k):
    with pytest.raises(SystemExit) as exit_info:
        main(["ask", "高铁", "--index", str(seed_index), "--top-k", top_k])
    assert exit_info.value.code == 2


def test_missing_index_says_how_to_build_it(tmp_path, capsys):
    code, _, err = _run(["ask", "高铁", "--index", str(tmp_path / "nothing")], capsys)
    assert code == 2 and "rag build" in err


def test_build_from_jsonl_and_report_bad_line(tmp_path, capsys):
    corpus = tmp_path / "docs.jsonl"
    corpus.write_text('{"id": "a", "title": "甲", "text": "长春龙嘉国际机场向西10余分钟可达长春站。"}\n{bad\n', encoding="utf-8")
    code, _, err = _run(["build", "--corpus", str(corpus), "--index", str(tmp_path / "idx")], capsys)
    assert code == 2 and "line 2" in err


def test_add_and_delete_update_the_index_and_bad_files_get_one_line(tmp_path, capsys):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text("梅河口打造医药健康产业集群。全市医药企业已有48家，年产值超过200亿元。\n", encoding="utf-8")
    assert _run(["build", "--corpus", str(corpus), "--index", str(index)], capsys)[0] == 0
    deer = tmp_path / "deer.md"
    deer.write_text("辽源市梅花鹿产业园今年将新建12座智能鹿舍，存栏梅花鹿将达到3万只。\n", encoding="utf-8")
    sheet = tmp_path / "table.xlsx"
    sheet.write_bytes(b"x")

    code, out, err = _run(["add", str(deer), str(sheet), "--date", "2026-02-01", "--corpus", str(corpus), "--index", str(index)], capsys)
    assert code == 2  # one file could not be added: the rest was
    assert "Added 1 article(s): deer" in out and "1 documents" not in out and "2 documents" in out
    assert err.count("\n") == 1 and "table.xlsx" in err
    code, out, _ = _run(["search", "梅花鹿", "--index", str(index), "--json", "--top-k", "1"], capsys)
    assert json.loads(out)[0]["doc_id"] == "deer"

    code, out, _ = _run(["delete", "deer", "--corpus", str(corpus), "--index", str(index)], capsys)
    assert code == 0 and "1 documents" in out
    code, out, _ = _run(["search", "梅花鹿", "--index", str(index), "--json"], capsys)
    assert {hit["doc_id"] for hit in json.loads(out)} == {"a"}

    code, _, err = _run(["add", str(deer), "--date", "1st of May", "--corpus", str(corpus), "--index", str(index)], capsys)
    assert code == 2 and err.startswith("rag: ") and "1st of May" in err and err.count("\n") == 1

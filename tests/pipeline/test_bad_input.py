"""Bad and odd input, as tables: each row is one kind of input and the behaviour it must get.

Library rows call the seed pipeline, CLI rows ``rag.cli.main`` (exit status 2 and one line on
stderr for anything a user can fix, never a traceback), render rows the HTML layer. Also
covered elsewhere and not repeated here: a 100,000-character question's note and ``k=0``
(test_pipeline.py), ``--top-k`` exit codes and a missing index (test_cli.py), invalid UTF-8,
BOMs, bad sidecars and bad JSONL fields at load (test_corpus.py), damaged index files
(test_index_store.py), HTML escaping of corpus text (test_render.py).
"""
from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag.app import render
from rag.cli import main
from rag.errors import QuestionError
from rag.reading.followup import FollowUpResolver
from rag.app.highlight import query_terms
from rag.index.store import PASSAGES
from rag.models import Result

pytestmark = [pytest.mark.model, pytest.mark.slow]

LIAOYUAN = "辽源什么时候通高铁？"  # answered by “十五五”末期 in the seed corpus
ANSWER = "十五五"


# --- library: refused with a QuestionError that says what to do -------------------------------

REFUSED = [
    ("empty", "", "请输入一个问题"),
    ("whitespace only", " \t\n\u3000 ", "请输入一个问题"),
    ("control characters only", "\x00\x01\x1b\x7f", "请输入一个问题"),
    ("invisible characters only", "\u200b\u200f\ufeff", "请输入一个问题"),
    ("punctuation only", "？！。……——", "没有可检索的文字"),
    ("emoji only", "😀🚄🎉👨\u200d👩\u200d👧", "没有可检索的文字"),
    ("markup symbols only", "<>&\"'/", "没有可检索的文字"),
    ("None", None, "问题必须是文字"),
    ("a number", 42, "问题必须是文字"),
    ("bytes", LIAOYUAN.encode("utf-8"), "问题必须是文字"),
    ("a list", [LIAOYUAN], "问题必须是文字"),
]


@pytest.mark.parametrize(("text", "message"), [row[1:] for row in REFUSED], ids=[row[0] for row in REFUSED])
def test_refused_questions_say_what_to_do(seed_pipeline, text, message):
    with pytest.raises(QuestionError, match=message):
        seed_pipeline.ask(text)
    with pytest.raises(QuestionError, match=message):
        seed_pipeline.search(text)


@pytest.mark.parametrize(("question", "previous"), [(None, ""), (42, None), (LIAOYUAN, 42), (LIAOYUAN, ["辽源"])])
def test_the_follow_up_step_refuses_non_text_like_the_pipeline(seed_pipeline, question, previous):
    resolver = FollowUpResolver(seed_pipeline.tokenizer.user_dict_lines)
    with pytest.raises(QuestionError, match="问题必须是文字"):
        resolver.resolve(question, previous)


# --- library: answered with a well-defined result ---------------------------------------------


def _consistent(pipeline, result: Result) -> None:
    """Every result, however odd the question: exact spans, numbered citations, one per hit."""
    assert [c.number for c in result.citations] == list(range(1, len(result.hits) + 1))
    for hit in result.hits:
        assert pipeline.document(hit.passage.doc_id).text[hit.passage.start : hit.passage.end] == hit.passage.text
    if result.answer is None:
        assert result.message
    else:
        answer = result.answer
        assert pipeline.document(answer.doc_id).text[answer.start : answer.end] == answer.text


def same_hits_as(clean: str) -> Callable:
    def check(pipeline, result: Result) -> None:
        expected = pipeline.ask(clean)
        assert [h.passage.passage_id for h in result.hits] == [h.passage.passage_id for h in expected.hits]
        assert (result.answer and result.answer.text) == (expected.answer and expected.answer.text)

    return check


def same_answer_as(clean: str) -> Callable:
    """For input that becomes the clean question with spaces: ranks may shift, the answer not."""

    def check(pipeline, result: Result) -> None:
        expected = pipeline.ask(clean).answer
        assert (result.answer and result.answer.text) == (expected and expected.text)
        if expected is not None:
            assert expected.passage_id in [h.passage.passage_id for h in result.hits]

    return check


def no_answer(pipeline, result: Result) -> None:
    assert result.answer is None and "没有找到" in result.message and result.hits


def finds_passage_with(fragment: str) -> Callable:
    def check(pipeline, result: Result) -> None:
        assert any(fragment in hit.passage.text for hit in result.hits)

    return check


def cut_with_a_note(pipeline, result: Result) -> None:
    assert len(result.question) <= pipeline.config.max_question_chars and "太长" in result.notes[0]


def verbatim(pipeline, result: Result) -> None:
    """The library neither escapes nor interprets the question: that is the renderer's job."""
    assert result.question.startswith("<script>")
    finds_passage_with(ANSWER)(pipeline, result)


ANSWERED = [
    ("traditional characters", "遼源什麼時候通高鐵？", same_hits_as(LIAOYUAN)),
    ("traditional characters answer", "遼源什麼時候通高鐵？", same_answer_as(LIAOYUAN)),
    ("full-width letters and digits", "龙嘉机场Ｔ３航站楼一年能运多少旅客？", same_hits_as("龙嘉机场T3航站楼一年能运多少旅客？")),
    ("full-width digits in a number", "长辽四通高铁辽源段线路有多长？８１．６公里吗", finds_passage_with("81.6公里")),
    ("NUL and control characters inside", "辽源\x00什么时候\x07通高铁\x1b？", same_answer_as(LIAOYUAN)),
    ("zero-width and direction marks inside", "辽\u200b源什么时候\u200f通\u202e高铁？", same_hits_as(LIAOYUAN)),
    ("lone surrogate", "\ud800辽源什么时候通高铁？\udfff", same_hits_as(LIAOYUAN)),
    ("emoji around a question", "🚄辽源什么时候通高铁？🎉", finds_passage_with(ANSWER)),
    ("English words mixed in", "Liaoyuan高铁什么时候通车？", finds_passage_with(ANSWER)),
    ("English only", "When will Liaoyuan get high-speed rail?", no_answer),
    ("a language we do not index (Russian)", "Когда в Ляоюань придет скоростная железная дорога?", no_answer),
    ("a language we do not index (Arabic, right to left)", "متى يصل القطار السريع إلى لياويوان؟", no_answer),
    ("rare CJK extension characters", "𠀀𠀁𠀂𠀃", no_answer),
    ("question words only", "什么是什么？", no_answer),
    ("HTML and JavaScript", f"<script>alert(1)</script>{LIAOYUAN}", verbatim),
    ("SQL-like", "'; DROP TABLE passages;--", no_answer),
    ("path-like", "../../etc/passwd", no_answer),
    ("100,000 characters after a question", LIAOYUAN + "啊" * 100_000, cut_with_a_note),
    ("one 100,000-character token", "x" * 100_000, cut_with_a_note),
    ("digits only", "2035", finds_passage_with("2035")),
]


@pytest.mark.parametrize(("question", "check"), [row[1:] for row in ANSWERED], ids=[row[0] for row in ANSWERED])
def test_odd_questions_get_a_well_defined_result(seed_pipeline, question, check):
    result = seed_pipeline.ask(question)
    _consistent(seed_pipeline, result)
    check(seed_pipeline, result)


def test_hostile_questions_change_nothing(seed_pipeline):
    passages = seed_pipeline.index.passages
    for question in ("'; DROP TABLE passages;--", "../../etc/passwd", "$(rm -rf /)", "{{7*7}}"):
        seed_pipeline.ask(question)
        seed_pipeline.search(question, mode="lexical")
    assert seed_pipeline.index.passages is passages and len(passages) == seed_pipeline.index.manifest.passages
    assert not any("root:" in hit.passage.text for hit in seed_pipeline.search("../../etc/passwd", k=20))


# --- library: k and mode ----------------------------------------------------------------------

BAD_K = [
    ("k zero", 0, "positive whole number"),
    ("k negative", -3, "positive whole number"),
    ("k a fraction", 2.5, "positive whole number"),
    ("k a string", "5", "positive whole number"),
    ("k a boolean", True, "positive whole number"),
]


@pytest.mark.parametrize(("k", "message"), [row[1:] for row in BAD_K], ids=[row[0] for row in BAD_K])
def test_bad_k_is_refused_with_a_message(seed_pipeline, k, message):
    with pytest.raises(ValueError, match=message):
        seed_pipeline.ask(LIAOYUAN, k=k)
    with pytest.raises(ValueError, match=message):
        seed_pipeline.search(LIAOYUAN, k=k)


def test_huge_k_returns_every_passage_at_most(seed_pipeline):
    total = len(seed_pipeline.index.passages)
    hits = seed_pipeline.search(LIAOYUAN, k=10**9, mode="lexical")
    assert 0 < len(hits) <= total
    result = seed_pipeline.ask(LIAOYUAN, k=10**6)
    assert len(result.hits) == len(result.citations) <= total


def test_unknown_mode_is_refused_with_the_choices(seed_pipeline):
    with pytest.raises(ValueError, match="hybrid, lexical, semantic"):
        seed_pipeline.search(LIAOYUAN, mode="bm25")


# --- CLI ----------------------------------------------------------------------------------------


def _flip_passages(tmp: Path, seed_index: Path) -> None:
    shutil.copytree(seed_index, tmp / "damaged")
    path = tmp / "damaged" / PASSAGES
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))


def _folder(files: dict[str, bytes | str]) -> Callable[[Path, Path], None]:
    def setup(tmp: Path, seed_index: Path) -> None:
        folder = tmp / "docs"
        folder.mkdir()
        for name, content in files.items():
            path = folder / name
            if isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                path.write_bytes(content)

    return setup


def _jsonl(lines: list[str]) -> Callable[[Path, Path], None]:
    def setup(tmp: Path, seed_index: Path) -> None:
        (tmp / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    return setup


def _project_folder(tmp: Path, seed_index: Path) -> None:
    (tmp / "project" / "src").mkdir(parents=True)
    _folder({"a.txt": "长辽四通高铁预计“十五五”末期建成通车。"})(tmp, seed_index)


SENTENCE = "长辽四通高铁预计“十五五”末期建成通车，届时辽源到长春只需30分钟。"


@dataclass(frozen=True)
class CliCase:
    name: str
    argv: tuple[str, ...]  # {index}: the seed index; {tmp}: the test's folder
    code: int
    err: tuple[str, ...] = ()  # each must be in stderr
    out: tuple[str, ...] = ()  # each must be in stdout
    setup: Callable[[Path, Path], None] | None = None


ASK = ("ask", "--index", "{index}")
CLI = [
    CliCase("ask empty question", (*ASK, ""), 2, ("rag: 请输入一个问题",)),
    CliCase("ask whitespace", (*ASK, " \t\u3000 "), 2, ("请输入一个问题",)),
    CliCase("ask NUL bytes only", (*ASK, "\x00\x00"), 2, ("请输入一个问题",)),
    CliCase("search punctuation only", ("search", "--index", "{index}", "？！……"), 2, ("没有可检索的文字",)),
    CliCase("search emoji only", ("search", "--index", "{index}", "😀🚄"), 2, ("没有可检索的文字",)),
    # Python hands undecodable argv bytes over as lone surrogates (surrogateescape).
    CliCase("ask with undecodable bytes", (*ASK, "\udcff\udcfe" + LIAOYUAN), 0, out=("[1] ", ANSWER)),
    CliCase("ask traditional, JSON", (*ASK, "--json", "遼源什麼時候通高鐵？"), 0, out=(ANSWER, '"citations"')),
    CliCase("ask HTML, JSON", (*ASK, "--json", "<b>辽源</b>高铁"), 0, out=('"question": "<b>辽源</b>高铁"',)),
    CliCase("--top-k 0", (*ASK, "--top-k", "0", LIAOYUAN), 2, ("between 1 and 1000",)),
    CliCase("--top-k negative", (*ASK, "--top-k", "-1", LIAOYUAN), 2, ("between 1 and 1000",)),
    CliCase("--top-k huge", (*ASK, "--top-k", "1000000", LIAOYUAN), 2, ("between 1 and 1000",)),
    CliCase("--top-k not a number", (*ASK, "--top-k", "五", LIAOYUAN), 2, ("not a whole number",)),
    CliCase("--top-k largest allowed", ("search", "--index", "{index}", "--top-k", "1000", "--json", "高铁"), 0, out=('"passage_id"',)),
    CliCase("--mode unknown", ("search", "--index", "{index}", "--mode", "bm25", "高铁"), 2, ("invalid choice",)),
    CliCase("damaged index", ("ask", "--index", "{tmp}/damaged", LIAOYUAN), 2, ("sha256", "rag build"), setup=_flip_passages),
    CliCase("index is a file", ("ask", "--index", "{tmp}/docs/a.txt", LIAOYUAN), 2, ("No index", "rag build"), setup=_folder({"a.txt": SENTENCE})),
    CliCase("batch file missing", ("batch", "{tmp}/none.jsonl", "--index", "{index}"), 2, ("No such file",)),
    CliCase("build missing corpus", ("build", "--corpus", "{tmp}/none", "--index", "{tmp}/i"), 2, ("Corpus not found",)),
    CliCase("build empty folder", ("build", "--corpus", "{tmp}/docs", "--index", "{tmp}/i"), 2, ("No articles",), setup=_folder({})),
    CliCase("build article with no text", ("build", "--corpus", "{tmp}/docs", "--index", "{tmp}/i"), 2,
            ("no text to index",), setup=_folder({"a.txt": " \n\n\t\n"})),
    CliCase("build symbols only", ("build", "--corpus", "{tmp}/docs", "--index", "{tmp}/i"), 2,
            ("searchable token",), setup=_folder({"a.txt": "😀！！……\n"})),
    CliCase("build invalid UTF-8", ("build", "--corpus", "{tmp}/docs", "--index", "{tmp}/i"), 2,
            ("bad.txt: not valid UTF-8 at byte 6",), setup=_folder({"a.txt": SENTENCE, "bad.txt": "辽源".encode() + b"\xff"})),
    CliCase("build duplicate documents", ("build", "--corpus", "{tmp}/docs", "--index", "{tmp}/i"), 0,
            ("warning: b.txt: same text as a.txt",), ("Indexed 1 documents",), _folder({"a.txt": SENTENCE, "b.txt": SENTENCE})),
    CliCase("build JSONL with a bad line", ("build", "--corpus", "{tmp}/docs.jsonl", "--index", "{tmp}/i"), 2,
            ("docs.jsonl line 3", "expected a JSON object"),
            setup=_jsonl([json.dumps({"id": "a", "title": "甲", "text": SENTENCE}, ensure_ascii=False), "", "[1, 2]"])),
    CliCase("build JSONL with duplicate ids", ("build", "--corpus", "{tmp}/docs.jsonl", "--index", "{tmp}/i"), 0,
            ("line 2: id 'a' already used on line 1",), ("Indexed 1 documents",),
            setup=_jsonl([json.dumps({"id": "a", "title": "甲", "text": SENTENCE}, ensure_ascii=False)] * 2)),
    CliCase("build corpus that is a plain file", ("build", "--corpus", "{tmp}/docs/a.txt", "--index", "{tmp}/i"), 2,
            ("is not a corpus",), setup=_folder({"a.txt": SENTENCE})),
    CliCase("build into a project folder", ("build", "--corpus", "{tmp}/docs", "--index", "{tmp}/project"), 2,
            ("not part of an index",), setup=_project_folder),
]


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_info:  # argparse refuses bad options itself
        code = exit_info.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", CLI, ids=[case.name for case in CLI])
def test_cli_gives_a_clear_message_never_a_traceback(case: CliCase, seed_index, tmp_path, capsys):
    if case.setup is not None:
        case.setup(tmp_path, seed_index)
    argv = [part.format(index=seed_index, tmp=tmp_path) if "{" in part else part for part in case.argv]
    code, out, err = _run(argv, capsys)
    assert code == case.code, err
    assert "Traceback" not in out + err
    for fragment in case.err:
        assert fragment in err
    for fragment in case.out:
        assert fragment in out
    if code == 2:  # one line last: "rag: …", or argparse's "rag ask: error: …" under its usage
        assert err.strip().splitlines()[-1].startswith("rag")


def test_control_characters_in_a_corpus_never_reach_answers(tmp_path, capsys):
    _folder({"a.txt": "辽源推进普铁外迁工程。\n长辽四通高铁\x00预计“十五五”\x07末期建成通车\u200b。\n"})(tmp_path, tmp_path)
    code, _, err = _run(["build", "--corpus", str(tmp_path / "docs"), "--index", str(tmp_path / "i")], capsys)
    assert code == 0, err
    code, out, _ = _run(["ask", "--index", str(tmp_path / "i"), "--json", LIAOYUAN], capsys)
    passages = [passage["text"] for passage in json.loads(out)["passages"]]
    assert code == 0 and any("长辽四通高铁预计“十五五”末期建成通车。" in text for text in passages)
    assert not any(char in out for char in "\x00\x07\u200b")


# --- CLI batch: one record per line, bad lines get an error object ------------------------------

BATCH = [
    # (input line, what its output record must satisfy)
    ('{"id": "ok", "question": "辽源什么时候通高铁？"}', lambda r: any(ANSWER in p["text"] for p in r["passages"])),
    ("not json", lambda r: "not valid JSON" in r["error"]),
    ('{"id": "cut", "question": "辽源什么时候', lambda r: "not valid JSON" in r["error"]),
    ("\ufffd\ufffd{garbage", lambda r: "not valid JSON" in r["error"]),  # invalid UTF-8, decoded with replacement
    ('{"id": "empty", "question": ""}', lambda r: r["id"] == "empty" and "请输入" in r["error"]),
    ('{"id": "nul", "question": "\\u0000\\u0000"}', lambda r: "请输入" in r["error"]),
    ('{"id": "null", "question": null}', lambda r: 'missing "question"' in r["error"]),
    ('{"id": "number", "question": 42}', lambda r: 'missing "question"' in r["error"]),
    ('{"id": "no question"}', lambda r: 'missing "question"' in r["error"]),
    ("[1, 2]", lambda r: "expected an object" in r["error"]),
    ('"just a string"', lambda r: "expected an object" in r["error"]),
    ('{"id": "\\ud800", "question": "辽源开通了多少个圈内通办事项？"}', lambda r: r["id"] == "\ud800" and r["answer"]),
    ('{"question": "遼源開通了多少個圈內通辦事項？"}', lambda r: r["id"] is None and r["answer"]["text"] == "63个"),
    ('{"id": "sql", "question": "\'; DROP TABLE passages;--"}', lambda r: r["answer"] is None and r["passages"]),
    (json.dumps({"id": "long", "question": LIAOYUAN + "啊" * 100_000}), lambda r: "error" not in r),
    ('{"id": "last", "question": "长春市长是谁？"}', lambda r: any("顾刚" in p["text"] for p in r["passages"])),
]


def test_batch_answers_every_good_line_and_flags_each_bad_one(seed_index, tmp_path, capsys):
    path = tmp_path / "questions.jsonl"
    body = "\n\n".join(line for line, _ in BATCH).replace("\ufffd\ufffd", "\udcff\udcfe")
    path.write_bytes(body.encode("utf-8", "surrogateescape") + b"\n")  # raw \xff\xfe bytes on line 7
    code, out, err = _run(["batch", str(path), "--index", str(seed_index), "--top-k", "2"], capsys)
    assert code == 0 and err == ""
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == len(BATCH)
    for number, (record, (line, check)) in enumerate(zip(records, BATCH), start=1):
        if "error" in record:
            assert record["line"] == 2 * number - 1 and record["error"].startswith(f"line {2 * number - 1}: ")
        assert check(record), (line, record)


# --- render layer -------------------------------------------------------------------------------


def test_hostile_text_is_shown_never_run(seed_pipeline):
    question = '<script>alert(1)</script><img src=x onerror="alert(2)">辽源什么时候通高铁？'
    result = seed_pipeline.ask(question)
    documents = {document.doc_id: document for document in seed_pipeline.documents}
    terms = query_terms(result.question, seed_pipeline.tokenizer)
    html = render.user_html(question, 500) + render.reply_html(result, documents, terms, 1)
    hits = seed_pipeline.search(question)
    citations = seed_pipeline.citations(hits, question)
    html += render.search_results_html(hits, citations, terms)
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html


def test_an_over_long_message_is_shown_cut_with_its_length():
    html = render.user_html("辽" * 100_000, 500)
    assert "共 100000 字" in html and len(html) < 1_000


def test_an_error_message_is_shown_as_a_notice(seed_pipeline):
    with pytest.raises(QuestionError) as error:
        seed_pipeline.ask("？？？")
    assert render.notice_html(str(error.value)) == (
        '<div class="rag-reply"><p class="rag-notice">问题里没有可检索的文字（只有标点或符号），请换一种问法。</p></div>'
    )

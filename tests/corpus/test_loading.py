import json
from pathlib import Path

import pytest

from rag.corpus.loading import corpus_fingerprint, load_corpus, user_dictionary
from rag.errors import CorpusError

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
SHARED = Path(__file__).resolve().parents[3] / "shared"
SEEDS = SHARED / "seeds"
CMRC = SHARED / "data" / "cmrc2018" / "cmrc2018_trial.json"

ARTICLE = "如何画好这个圈\n\n本报记者 陶连飞\n\n交通织网：打破壁垒的“硬联通”\n\n在长春现代化都市圈建设中，交通互联是“先手棋”。\n"


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _jsonl(folder: Path, *records: object) -> Path:
    lines = [
        record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)
        for record in records
    ]
    return _write(folder, "docs.jsonl", "\n".join(lines) + "\n")


# --- folder of articles -----------------------------------------------------------------------


def test_an_article_without_sidecar_takes_what_cleaning_found(tmp_path):
    _write(tmp_path, "a1.txt", ARTICLE)
    corpus = load_corpus(tmp_path)
    (document,) = corpus.documents
    assert (document.doc_id, document.source) == ("a1", "a1.txt")
    assert document.title == "如何画好这个圈"
    assert document.authors == ("陶连飞",)
    assert document.text.startswith("交通织网：打破壁垒的“硬联通”\n在长春")
    assert [p.kind for p in document.paragraphs] == ["heading", "body", "credits"]
    assert {r.reason for r in document.removed} == {"title", "byline"}
    assert corpus.warnings == ()


def test_sidecar_metadata_wins_over_cleaning(tmp_path):
    _write(tmp_path, "a1.md", ARTICLE)
    sidecar = {"title": "手写标题", "newspaper": "吉林日报", "date": "2026-01-30"}
    sidecar["authors"] = ["甲", "乙"]
    _write(tmp_path, "a1.json", json.dumps(sidecar, ensure_ascii=False))
    (document,) = load_corpus(tmp_path).documents
    assert document.title == "手写标题"
    assert (document.newspaper, document.date) == ("吉林日报", "2026-01-30")
    assert document.authors == ("甲", "乙")
    assert document.subtitle == ""  # not stated in the sidecar, not found by cleaning


def test_a_stated_null_date_overrides_a_date_found_on_the_page(tmp_path):
    _write(tmp_path, "a1.txt", "2026年1月30日 星期五 编辑 陈庆松\n\n正文第一段。\n")
    assert load_corpus(tmp_path).documents[0].date == "2026-01-30"
    _write(tmp_path, "a1.json", '{"date": null}')
    assert load_corpus(tmp_path).documents[0].date is None


def test_without_title_block_the_title_is_the_first_heading_or_sentence(tmp_path):
    _write(tmp_path, "h.txt", "# 高质量发展的长春实践\n\n当时间的指针划过一千多个日夜。\n")
    _write(tmp_path, "s.txt", "都市圈是城镇化的高级形态。它是区域协调的核心载体。\n")
    titles = {d.doc_id: d.title for d in load_corpus(tmp_path).documents}
    assert titles == {"h": "高质量发展的长春实践", "s": "都市圈是城镇化的高级形态。"}


def test_empty_articles_and_duplicate_texts_are_skipped_with_a_warning(tmp_path):
    _write(tmp_path, "a.txt", ARTICLE)
    _write(tmp_path, "b.txt", ARTICLE.replace("本报记者 陶连飞", "本报记者 赵蓓蓓"))  # same text
    _write(tmp_path, "c.txt", "\n  \n")
    _write(tmp_path, "userdict.txt", "都市圈 n\n")
    corpus = load_corpus(tmp_path)
    assert [d.doc_id for d in corpus.documents] == ["a"]
    assert len(corpus.warnings) == 2
    assert "b.txt" in corpus.warnings[0] and "a.txt" in corpus.warnings[0]
    assert "c.txt" in corpus.warnings[1]


def test_a_sidecar_without_article_is_reported(tmp_path):
    _write(tmp_path, "a.txt", ARTICLE)
    _write(tmp_path, "ghost.json", "{}")
    assert "ghost.json" in load_corpus(tmp_path).warnings[0]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: d / "missing", "not found"),
        (lambda d: d, "No articles"),
        (lambda d: _write(d, "only.json", "{}").parent, "No articles"),
        (lambda d: _write(d, "only.txt", "x"), "not a corpus"),
    ],
)
def test_unusable_paths_raise_a_clear_error(tmp_path, setup, message):
    with pytest.raises(CorpusError, match=message):
        load_corpus(setup(tmp_path))


def test_invalid_utf8_names_the_file_and_byte(tmp_path):
    _write(tmp_path, "bad.txt", "正文".encode("utf-8") + b"\xff\xfe" + "。".encode("utf-8"))
    with pytest.raises(CorpusError, match=r"bad\.txt: not valid UTF-8 at byte 6"):
        load_corpus(tmp_path)


def test_a_byte_order_mark_is_accepted(tmp_path):
    _write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + "辽源正全力推进高铁建设。".encode("utf-8"))
    assert load_corpus(tmp_path).documents[0].text == "辽源正全力推进高铁建设。"


@pytest.mark.parametrize(
    ("sidecar", "message"),
    [
        ("{not json", r"a\.json: not valid JSON"),
        ("[]", "one JSON object"),
        ('{"titel": "x"}', "unknown field"),
        ('{"title": 3}', "'title' must be a string"),
        ('{"authors": "甲"}', "'authors' must be a list"),
        ('{"date": "2026年1月30日"}', "ISO date"),
        ('{"date": "2026-02-30"}', "ISO date"),
    ],
)
def test_invalid_sidecars_raise(tmp_path, sidecar, message):
    _write(tmp_path, "a.txt", ARTICLE)
    _write(tmp_path, "a.json", sidecar)
    with pytest.raises(CorpusError, match=message):
        load_corpus(tmp_path)


def test_two_articles_with_one_stem_raise(tmp_path):
    _write(tmp_path, "a.txt", ARTICLE)
    _write(tmp_path, "a.md", ARTICLE)
    with pytest.raises(CorpusError, match="rename one"):
        load_corpus(tmp_path)


# --- JSONL ------------------------------------------------------------------------------------


def test_jsonl_documents_get_light_cleaning(tmp_path):
    text = "  第一段。 \n\n第二段（含标点）。\r\n"
    path = _jsonl(tmp_path, {"id": "TRIAL_1", "title": " 泡泡战士 ", "text": text})
    (document,) = load_corpus(path).documents
    assert (document.doc_id, document.source) == ("TRIAL_1", "TRIAL_1")
    assert document.title == "泡泡战士"
    assert document.text == "第一段。\n第二段（含标点）。"
    spans = [(p.start, p.end, p.kind) for p in document.paragraphs]
    assert spans == [(0, 4, "body"), (5, 14, "body")]
    assert document.removed == ()


def test_jsonl_duplicates_and_empty_texts_warn(tmp_path):
    path = _jsonl(
        tmp_path,
        {"id": "a", "title": "", "text": "甲。"},
        {"id": "a", "title": "", "text": "乙。"},
        {"id": "b", "title": "", "text": "甲。"},
        {"id": "c", "title": "", "text": " \n "},
        "",
        {"id": "d", "title": "", "text": "丁。"},
    )
    corpus = load_corpus(path)
    assert [d.doc_id for d in corpus.documents] == ["a", "d"]
    lines = [warning.split(":")[0] for warning in corpus.warnings]
    assert lines == ["docs.jsonl line 2", "docs.jsonl line 3", "docs.jsonl line 4"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "a", "title": "t", "text": ', r"docs\.jsonl line 2: not valid JSON"),
        ('["a", "t", "x"]', r"line 2: expected a JSON object"),
        ('{"id": "a", "text": "x"}', r"line 2: field\(s\) title missing"),
        ('{"id": 7, "title": "t", "text": "x"}', r"line 2: field\(s\) id missing or not a string"),
    ],
)
def test_bad_jsonl_lines_name_the_line(tmp_path, line, message):
    path = _jsonl(tmp_path, {"id": "ok", "title": "t", "text": "x"}, line)
    with pytest.raises(CorpusError, match=message):
        load_corpus(path)


def test_an_empty_jsonl_raises(tmp_path):
    with pytest.raises(CorpusError, match="No documents"):
        load_corpus(_write(tmp_path, "docs.jsonl", "\n"))


@pytest.mark.skipif(not CMRC.exists(), reason="CMRC 2018 trial set not available")
def test_every_cmrc_answer_survives_light_cleaning(tmp_path):
    data = json.loads(CMRC.read_text(encoding="utf-8"))["data"]
    records, answers = [], []
    for article in data:
        for paragraph in article["paragraphs"]:
            doc_id = paragraph["id"]
            records.append({"id": doc_id, "title": article["title"], "text": paragraph["context"]})
            answers += [(doc_id, a["text"]) for qa in paragraph["qas"] for a in qa["answers"]]
    corpus = load_corpus(_jsonl(tmp_path, *records))
    texts = {d.doc_id: d.text for d in corpus.documents}
    assert len(texts) == 256 and corpus.warnings == ()
    missing = [(doc_id, answer) for doc_id, answer in answers if answer not in texts[doc_id]]
    assert missing == []


# --- fingerprint and user dictionary ----------------------------------------------------------


def test_fingerprint_changes_with_any_file_the_loader_reads(tmp_path):
    _write(tmp_path, "a.txt", ARTICLE)
    first = corpus_fingerprint(tmp_path)
    assert corpus_fingerprint(tmp_path) == first
    _write(tmp_path, "notes.docx", "ignored")
    assert corpus_fingerprint(tmp_path) == first
    changes = [("a.json", "{}"), ("userdict.txt", "都市圈 n\n"), ("a.txt", ARTICLE + "补充。")]
    for name, content in changes:
        before = corpus_fingerprint(tmp_path)
        _write(tmp_path, name, content)
        assert corpus_fingerprint(tmp_path) != before, name


def test_fingerprint_of_a_jsonl_and_of_a_missing_path(tmp_path):
    path = _jsonl(tmp_path, {"id": "a", "title": "", "text": "甲。"})
    assert len(corpus_fingerprint(path)) == 64
    with pytest.raises(CorpusError, match="not found"):
        corpus_fingerprint(tmp_path / "nothing")


def test_user_dictionary_lines(tmp_path):
    assert user_dictionary(tmp_path) == ()
    _write(tmp_path, "userdict.txt", "# comment\n\n长辽四通高铁 nz\n李平 5 nr\n都市圈\n")
    assert user_dictionary(tmp_path) == ("长辽四通高铁 nz", "李平 5 nr", "都市圈")
    _write(tmp_path, "userdict.txt", "长辽四通高铁\tnz\n")
    with pytest.raises(CorpusError, match="line 1"):
        user_dictionary(tmp_path)


# --- the project corpus -----------------------------------------------------------------------


@pytest.mark.skipif(not SEEDS.exists(), reason="seed articles not available")
def test_corpus_articles_are_the_seeds_byte_for_byte():
    seeds = sorted(SEEDS.glob("*.txt"))
    assert [p.name for p in seeds] == sorted(p.name for p in CORPUS.glob("0*.txt"))
    for seed in seeds:
        assert (CORPUS / seed.name).read_bytes() == seed.read_bytes()


def test_project_corpus_loads_with_sidecar_metadata():
    corpus = load_corpus(CORPUS)
    assert corpus.warnings == ()
    documents = {d.doc_id: d for d in corpus.documents}
    assert len(documents) == 5
    for document in documents.values():
        assert document.title and document.text and document.source == f"{document.doc_id}.txt"
        assert document.date is None or document.date == "2026-01-30"
    page = documents["003_bddec4129571bbbc"]
    assert (page.newspaper, page.date, page.page) == ("吉林日报", "2026-01-30", "03版 · 两会特刊")
    assert documents["004_7a610dda2a25fdbf"].title == "长春都市圈『强心扩容』重塑区域竞争新格局"


def test_project_user_dictionary_holds_corpus_terms():
    lines = user_dictionary(CORPUS)
    assert len(lines) >= 60
    words = [line.split()[0] for line in lines]
    assert len(set(words)) == len(words)
    # Raw text holds the credits; cleaned text the words a hard wrap had split.
    raw = "".join(path.read_text(encoding="utf-8") for path in CORPUS.glob("0*.txt"))
    cleaned = "".join(d.text for d in load_corpus(CORPUS).documents)
    assert [word for word in words if word not in raw and word not in cleaned] == []
    for term in ("长春现代化都市圈", "圈内通办", "长辽四通高铁", "长四辽通高铁", "十五五", "中欧班列", "龙嘉机场"):
        assert term in words

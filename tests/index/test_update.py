"""Changing articles of a large index: the changed articles go beside the main build, a replaced
or deleted article's passages are never found again, and what is served equals a rebuild."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from fakes import CharacterEmbedder, write_articles

from rag.config import Config
from rag.corpus.loading import corpus_fingerprint
from rag.errors import IndexLoadError
from rag.index import added as added_module
from rag.index.build import build_index
from rag.index.passage_store import LocalPassageStore
from rag.index.store import load_index
from rag.index.update import update_index
from rag.models import SearchFilters

# Large-index behaviour on a small corpus: any change may go beside the main build.
SEGMENTED = Config(embedder="fake-chars", added_max_share=1.0)
ARTICLES = {
    "a.txt": "辽源推进普铁外迁工程。\n长辽四通高铁预计“十五五”末期建成通车，届时辽源到长春只需30分钟。\n",
    "b.txt": "梅河口打造医药健康产业集群。\n全市医药企业已有48家，年产值超过200亿元。\n",
    "d.txt": "吉林市发展冰雪旅游。\n北大湖滑雪场雪季接待游客超过百万人次。\n",
    "e.txt": "四平建设红色旅游线路。\n四平战役纪念馆年接待参观者40万人次。\n",
}
DEER = "辽源市梅花鹿产业园今年将新建12座智能鹿舍。预计年底前投入使用，存栏梅花鹿将达到3万只。\n"
DRUGS = "梅河口打造医药健康产业集群。\n全市医药企业已有52家，其中规上企业29家。\n"


def _built(tmp_path: Path) -> tuple[Path, Path]:
    corpus = write_articles(tmp_path / "corpus", ARTICLES)
    build_index(corpus, tmp_path / "index", SEGMENTED, embedder=CharacterEmbedder(), progress=False)
    return corpus, tmp_path / "index"


def _change(corpus: Path, index: Path, config: Config = SEGMENTED, **files: str | None):
    """Write (or, for None, delete) the named articles, then update the index for them."""
    before = corpus_fingerprint(corpus)
    for name, text in files.items():
        if text is None:
            (corpus / f"{name}.txt").unlink()
        else:
            (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
    return update_index(corpus, index, config, list(files), before=before, embedder=CharacterEmbedder())


def _store(index: Path) -> LocalPassageStore:
    return LocalPassageStore(load_index(index), SEGMENTED)


def _found(store: LocalPassageStore, query: str, filters: SearchFilters | None = None) -> list[str]:
    """Texts of every passage either ranker returns for ``query``."""
    vector = CharacterEmbedder().embed_queries([query])
    rows = [row for row, _ in store.lexical_search(query, 50, filters)]
    rows += [row for row, _ in store.dense_search(vector, 50, filters)]
    return [store.passages[row].text for row in rows]


def test_an_added_article_goes_beside_the_main_build_and_is_found(tmp_path):
    corpus, index = _built(tmp_path)
    main_files = load_index(index).manifest.main_files

    report = _change(corpus, index, c=DEER)

    # c.txt is one passage of two sentences: three texts embedded, nothing else
    assert report.changed_only and report.embedded == 3
    manifest = report.manifest
    assert manifest.main_files == main_files  # the main build is untouched
    assert os.stat(index / "dense.faiss").st_nlink == 1  # the old directory's link is gone
    assert manifest.added == {"documents": 1, "passages": 1, "sentences": 2, "removed_documents": 0, "removed_passages": 0}
    assert (manifest.documents, manifest.passages) == (5, 5)
    assert manifest.corpus_fingerprint == corpus_fingerprint(corpus)
    store = _store(index)
    assert any("梅花鹿" in text for text in _found(store, "梅花鹿鹿舍"))
    assert store.passages[store.lexical_search("梅花鹿鹿舍", 1, None)[0][0]].doc_id == "c"
    assert [d.doc_id for d in store.documents] == ["a", "b", "d", "e", "c"]


def test_added_passages_score_in_bm25_as_in_a_rebuild(tmp_path):
    corpus, index = _built(tmp_path)
    _change(corpus, index, c=DEER)
    full = tmp_path / "full"
    build_index(corpus, full, SEGMENTED, embedder=CharacterEmbedder(), progress=False)
    segmented, rebuilt = _store(index), _store(full)

    for query in ("梅花鹿产业园", "辽源梅花鹿", "智能鹿舍投入使用"):
        ours = {segmented.passages[row].text: score for row, score in segmented.lexical_search(query, 10, None)}
        theirs = {rebuilt.passages[row].text: score for row, score in rebuilt.lexical_search(query, 10, None)}
        added = [text for text in ours if "梅花鹿" in text]
        assert added and all(ours[text] == pytest.approx(theirs[text], rel=1e-5) for text in added)


def test_a_replaced_article_is_served_only_in_its_new_version(tmp_path):
    corpus, index = _built(tmp_path)

    report = _change(corpus, index, b=DRUGS)

    assert report.changed_only
    assert report.manifest.added["removed_documents"] == 1
    store = _store(index)
    found = _found(store, "梅河口医药企业已有48家") + _found(store, "医药", SearchFilters(doc_ids=("b",)))
    assert any("52家" in text for text in found)
    assert not any("48家" in text for text in found)
    assert not any("48家" in p.text for p in store.live_passages)
    assert [d.doc_id for d in store.documents].count("b") == 1
    assert "52家" in next(d.text for d in store.documents if d.doc_id == "b")


def test_a_deleted_article_is_never_found_again(tmp_path):
    corpus, index = _built(tmp_path)

    report = _change(corpus, index, a=None)

    assert report.changed_only and report.embedded == 0
    assert (report.manifest.documents, report.manifest.passages) == (3, 3)
    store = _store(index)
    assert not any("辽源" in text for text in _found(store, "辽源普铁外迁长辽四通高铁"))
    assert "a" not in {d.doc_id for d in store.documents}
    assert "a" not in {p.doc_id for p in store.live_passages}


def test_after_several_changes_the_index_serves_what_a_rebuild_serves(tmp_path):
    corpus, index = _built(tmp_path)
    _change(corpus, index, c=DEER)
    _change(corpus, index, c=DEER.replace("3万只", "4万只"), b=DRUGS)
    last = _change(corpus, index, d=None)
    rebuilt = tmp_path / "full"
    build_index(corpus, rebuilt, SEGMENTED, embedder=CharacterEmbedder(), progress=False)

    assert last.changed_only
    ours, theirs = load_index(index), load_index(rebuilt)
    assert sorted(p.text for p in ours.live_passages) == sorted(p.text for p in theirs.passages)
    assert sorted(ours.documents, key=lambda d: d.doc_id) == list(theirs.documents)
    assert (ours.manifest.documents, ours.manifest.passages) == (theirs.manifest.documents, theirs.manifest.passages)
    assert ours.manifest.corpus_fingerprint == theirs.manifest.corpus_fingerprint


def test_a_change_past_the_share_rebuilds_and_keeps_the_added_vectors(tmp_path):
    corpus, index = _built(tmp_path)
    _change(corpus, index, c=DEER)

    report = _change(corpus, index, Config(embedder="fake-chars"), b=DRUGS)

    # the default share (2 %) of four passages is less than one: the change rebuilds, and the
    # vectors of c (added beside the main build before) are reused, not embedded again
    assert not report.changed_only and not report.manifest.added
    assert not (index / "added").exists()
    assert report.embedded == 2  # b's new passage and its new second sentence
    assert sorted(p.doc_id for p in load_index(index).passages) == ["a", "b", "c", "d", "e"]


def test_an_index_not_built_from_the_corpus_before_the_change_is_rebuilt(tmp_path):
    corpus, index = _built(tmp_path)
    (corpus / "e.txt").write_text("四平建设红色旅游线路。\n", encoding="utf-8")  # not told to the index

    report = _change(corpus, index, c=DEER)

    assert not report.changed_only
    assert any("四平建设红色旅游线路。" == p.text for p in load_index(index).passages)


def test_an_article_with_the_text_of_another_is_handled_by_a_rebuild(tmp_path):
    corpus, index = _built(tmp_path)

    report = _change(corpus, index, c=ARTICLES["b.txt"])

    assert not report.changed_only
    assert any("same text as b.txt" in warning for warning in report.warnings)


def test_reloading_after_a_change_takes_the_main_build_over_and_verifies_the_rest(tmp_path):
    corpus, index = _built(tmp_path)
    before = load_index(index)
    _change(corpus, index, c=DEER)

    after = load_index(index, previous=before)

    assert after.dense is before.dense and after.lexical is before.lexical
    assert len(after.passages) == len(before.passages) + 1
    with (index / "added" / "passages.jsonl").open("a", encoding="utf-8") as stream:
        stream.write("\n")
    with pytest.raises(IndexLoadError, match="added/passages.jsonl"):
        load_index(index, previous=before)


def test_an_interrupted_change_leaves_the_index_as_it_was(tmp_path, monkeypatch):
    corpus, index = _built(tmp_path)
    manifest = load_index(index).manifest

    def fail(folder, segment):
        raise OSError("disk full")

    monkeypatch.setattr("rag.index.store.save_added", fail)
    with pytest.raises(OSError, match="disk full"):
        _change(corpus, index, c=DEER)

    assert load_index(index).manifest == manifest
    assert [p.name for p in index.parent.iterdir() if p.name.startswith(".")] == []


def test_added_bm25_uses_the_statistics_of_the_whole_index():
    from rag.index.lexical import LexicalIndex

    main_tokens = [["辽源", "高铁"], ["梅河口", "医药", "医药"], ["辽源", "鹿"]]
    new_tokens = [["辽源", "鹿", "鹿", "产业园"], ["医药"]]
    main = LexicalIndex.build(main_tokens)
    union = LexicalIndex.build(main_tokens + new_tokens)
    added = added_module.AddedLexical(new_tokens, main)

    for query in (["鹿"], ["辽源", "产业园"], ["医药", "医药"], ["没有"]):
        rows, scores = added.search(query, 5)
        expected_rows, expected_scores = union.search(query, 10)
        expected = {int(r) - 3: float(s) for r, s in zip(expected_rows, expected_scores) if r >= 3}
        assert dict(zip(rows.tolist(), scores.tolist())) == pytest.approx(expected, rel=1e-5)
    np.testing.assert_array_equal(main.document_frequencies(["辽源", "医药", "没有"]), [2, 1, 0])


def test_an_article_added_again_unchanged_is_not_taken_for_a_duplicate(tmp_path):
    corpus, index = _built(tmp_path)

    report = _change(corpus, index, b=ARTICLES["b.txt"])

    assert report.changed_only and report.manifest.documents == 4

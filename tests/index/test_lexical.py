import numpy as np
import pytest

from rag.index.lexical import LexicalIndex
from rag.text.tokenization import Tokenizer

PASSAGES = [
    "长春现代化都市圈建设加快推进，通勤便捷高效。",
    "辽源市围绕交通、产业、生态、民生四大领域全面发力。",
    "梅河口市打造区域性医药健康产业集群。",
    "四平市推进普铁外迁工程，改善城区交通环境。",
]
TOKENIZER = Tokenizer()


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build([TOKENIZER.tokenize(text) for text in PASSAGES])


def test_the_passage_sharing_the_rarest_words_ranks_first(index):
    ids, scores = index.search(TOKENIZER.tokenize("辽源在哪些领域全面发力？"), 3)
    assert ids[0] == 1
    assert ids.dtype == np.int64 and scores.dtype == np.float32
    assert list(scores) == sorted(scores, reverse=True)
    assert (scores > 0).all()


def test_only_passages_sharing_a_token_come_back(index):
    ids, _ = index.search(TOKENIZER.tokenize("医药健康"), 10)
    assert ids.tolist() == [2]


def test_k_limits_the_results(index):
    ids, scores = index.search(TOKENIZER.tokenize("交通"), 1)
    assert len(ids) == len(scores) == 1
    assert ids[0] in (1, 3)


def test_queries_without_known_tokens_return_nothing(index):
    for tokens in ([], ["冰雪大世界"], [""]):
        ids, scores = index.search(tokens, 5)
        assert ids.shape == scores.shape == (0,)


def test_equal_scores_come_out_in_passage_order():
    index = LexicalIndex.build([["长春"], ["吉林"], ["长春"]])
    assert index.search(["长春"], 5)[0].tolist() == [0, 2]


def test_bad_arguments(index):
    with pytest.raises(ValueError, match="k must be positive"):
        index.search(["长春"], 0)
    with pytest.raises(ValueError, match="searchable token"):
        LexicalIndex.build([[], []])


def test_save_and_load_round_trip_without_pickles(tmp_path, index):
    index.save(tmp_path / "lexical")
    for array_file in (tmp_path / "lexical").glob("*.npy"):
        np.load(array_file, allow_pickle=False)
    loaded = LexicalIndex.load(tmp_path / "lexical")
    assert len(loaded) == len(index) == 4
    assert loaded.parameters == index.parameters
    query = TOKENIZER.tokenize("都市圈通勤")
    for got, expected in zip(loaded.search(query, 4), index.search(query, 4)):
        np.testing.assert_array_equal(got, expected)


def test_excluded_rows_are_never_returned_and_the_mean_length_survives_a_reload(tmp_path, index):
    query = TOKENIZER.tokenize("都市圈通勤")
    ids, _ = index.search(query, 4)
    excluded = ids[:1]

    rest, _ = index.search(query, 4, exclude=excluded)

    assert rest.tolist() == ids[1:].tolist()
    index.save(tmp_path / "lexical")
    assert LexicalIndex.load(tmp_path / "lexical").mean_length == pytest.approx(index.mean_length)

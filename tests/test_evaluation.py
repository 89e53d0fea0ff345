import pytest

from rag.evaluation import (
    answer_tokens,
    exact_match,
    f1_score,
    first_relevant_rank,
    mrr,
    normalize_answer,
    recall_at_k,
)


def test_normalize_answer_drops_punctuation_space_and_folds_forms():
    assert normalize_answer("“十五五” 末期。") == "十五五末期"
    assert normalize_answer("ＡＧＧ０１，遼源") == "agg01辽源"


def test_tokens_are_characters_with_latin_words_and_digit_runs_whole():
    assert answer_tokens("2026年1月29日") == ["2026", "年", "1", "月", "29", "日"]
    assert answer_tokens("由ω-force开发") == ["由", "ω", "force", "开", "发"]


def test_exact_match_ignores_punctuation_and_takes_any_gold():
    assert exact_match("81.6公里。", ["81.6公里"]) == 1.0
    assert exact_match("半小时", ["30分钟", "半小时"]) == 1.0
    assert exact_match("一个半小时", ["半小时"]) == 0.0


def test_f1_counts_the_longest_common_run_of_tokens():
    # prediction 顾刚 (2 tokens) inside gold 长春市长顾刚 (6 tokens): P = 1, R = 1/3
    assert f1_score("顾刚", ["长春市长顾刚"]) == pytest.approx(2 * 1 * (1 / 3) / (1 + 1 / 3))
    # a digit run is one token: 2025 vs 2026 share nothing but 年
    assert f1_score("2025年", ["2026年"]) == pytest.approx(0.5)
    assert f1_score("", ["顾刚"]) == 0.0
    assert f1_score("刘楠", ["顾刚", "刘楠"]) == 1.0


def test_f1_uses_a_contiguous_run_like_the_official_script():
    # 长春 … 辽源 share four characters, but the longest contiguous run is two.
    assert f1_score("长春到辽源", ["长春和辽源"]) == pytest.approx(0.4)


def test_golds_must_be_a_sequence_not_a_string():
    with pytest.raises(TypeError, match="sequence"):
        f1_score("顾刚", "顾刚")
    with pytest.raises(TypeError, match="sequence"):
        exact_match("顾刚", "顾刚")


def test_retrieval_helpers():
    relevance = [[False, True, False], [True, False], [False, False, False]]
    assert first_relevant_rank(relevance[0]) == 2
    assert first_relevant_rank(relevance[2]) is None
    assert recall_at_k(relevance, 1) == pytest.approx(1 / 3)
    assert recall_at_k(relevance, 2) == pytest.approx(2 / 3)
    assert mrr(relevance) == pytest.approx((1 / 2 + 1) / 3)
    assert recall_at_k([], 5) == 0.0 and mrr([]) == 0.0
    with pytest.raises(ValueError, match="positive"):
        recall_at_k(relevance, 0)

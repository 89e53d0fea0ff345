"""Tests for rag.app.highlight: which spans of a passage match a query's words."""
from __future__ import annotations

from rag.app.highlight import match_spans, query_terms
from rag.text.tokenization import Tokenizer

TOKENIZER = Tokenizer(["长辽四通高铁 nz"])


def test_query_terms_keep_content_words_and_drop_question_words_and_single_characters():
    terms = query_terms("辽源的高铁什么时候通车？", TOKENIZER)
    assert "辽源" in terms and "高铁" in terms
    assert not {"什么", "时候", "？"} & set(terms)
    assert all(len(term) >= 2 for term in terms)


def test_query_terms_are_normalised_and_longest_first():
    terms = query_terms("長遼四通高鐵", TOKENIZER)
    assert terms[0] == "长辽四通高铁"
    assert list(terms) == sorted(terms, key=lambda term: (-len(term), term))


def test_spans_index_the_original_text_even_when_it_is_traditional():
    text = "預計遼源在十五五末期通高鐵。"
    spans = match_spans(text, query_terms("辽源的高铁什么时候通车", TOKENIZER))
    assert [text[start:end] for start, end in spans] == ["遼源", "高鐵"]


def test_full_width_and_upper_case_text_matches_a_plain_query():
    text = "超级ＯＮＥ篮球主题公园"
    spans = match_spans(text, ["one"])
    assert [text[start:end] for start, end in spans] == ["ＯＮＥ"]


def test_overlapping_and_touching_matches_merge_into_one_span():
    text = "推进长春现代化都市圈建设"
    assert match_spans(text, ["现代化", "化都市", "都市圈"]) == [(4, 10)]
    assert match_spans(text, ["长春", "现代化"]) == [(2, 7)]


def test_every_occurrence_is_found_and_no_terms_means_no_spans():
    text = "高铁连高铁"
    assert match_spans(text, ["高铁"]) == [(0, 2), (3, 5)]
    assert match_spans(text, []) == []
    assert match_spans("", ["高铁"]) == []


def test_regex_characters_in_terms_are_taken_literally():
    assert match_spans("增长1.5倍，不是1x5倍", ["1.5"]) == [(2, 5)]

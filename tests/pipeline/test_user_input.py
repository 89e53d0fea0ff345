import pytest

from rag.errors import QuestionError
from rag.pipeline.user_input import prepare_query


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "？？？", "……！！", "😀🎉", "\x00\x01", "<>"])
def test_nothing_to_search_for_is_refused_with_a_message(text):
    with pytest.raises(QuestionError, match="问题|文字"):
        prepare_query(text, max_chars=500)


def test_control_characters_and_runs_of_space_are_cleaned():
    assert prepare_query("辽源\x00什么时候\t\t通高铁？\r\n", 500).text == "辽源 什么时候 通高铁？"


def test_long_text_is_cut_and_flagged():
    prepared = prepare_query("长春" * 50_000, max_chars=500)
    assert prepared.truncated and len(prepared.text) == 500


def test_ordinary_question_is_unchanged():
    prepared = prepare_query("遼源什麼時候通高鐵？", 500)
    assert (prepared.text, prepared.truncated) == ("遼源什麼時候通高鐵？", False)

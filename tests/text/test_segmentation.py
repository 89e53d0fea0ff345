from rag.text.segmentation import split_sentences


def test_splits_on_chinese_terminators_and_keeps_closing_quotes():
    text = "“以后高铁通了看孩子方便！”李先生说。他问：真的吗？是的；当然……好。"
    sentences = [s.text for s in split_sentences(text)]
    assert sentences == ["“以后高铁通了看孩子方便！”", "李先生说。", "他问：真的吗？", "是的；", "当然……", "好。"]


def test_offsets_point_into_the_text_and_skip_white_space():
    text = "  第一句。\n第二句没有句号\n 第三句！ "
    sentences = split_sentences(text, offset=100)
    assert [s.text for s in sentences] == ["第一句。", "第二句没有句号", "第三句！"]
    for sentence in sentences:
        assert text[sentence.start - 100 : sentence.end - 100] == sentence.text


def test_closing_brackets_stay_with_their_sentence():
    text = "（辽源市委宣传部提供。）下一句。"
    assert [s.text for s in split_sentences(text)] == ["（辽源市委宣传部提供。）", "下一句。"]


def test_empty_text_has_no_sentences():
    assert split_sentences("") == []
    assert split_sentences(" \n ") == []

import threading

import jieba

from rag.text import tokenization
from rag.text.tokenization import STOP_WORDS, Tokenizer, jieba_with_words, pos_tagger_with_words

# Each tokenizer loads jieba's dictionary (~0.5 s), so the tests share these two.
PLAIN = Tokenizer()
CITY = Tokenizer(["长春现代化都市圈 100 ns"])


def test_normalises_before_cutting():
    tokens = PLAIN.tokenize("長春市ＧＤＰ增長")
    assert "长春" in tokens
    assert "gdp" in tokens
    assert "增长" in tokens


def test_drops_punctuation_white_space_and_question_words():
    tokens = PLAIN.tokenize("辽源的 GDP 是多少？ 什么时候 完成了")
    assert "辽源" in tokens
    for dropped in ("的", "是", "多少", "什么", "了", "？", "?", " "):
        assert dropped not in tokens
    assert PLAIN.tokenize(" ，。！…\n") == []
    assert PLAIN.tokenize("") == []


def test_search_mode_adds_sub_words_and_single_characters_once():
    tokens = PLAIN.tokenize("现代化建设")
    assert {"现代", "现代化", "建设"} <= set(tokens)
    for char in "现代化建设":
        assert tokens.count(char) == 1  # each position once, however many sub-words cover it
    assert not set("现代化建设") & set(Tokenizer(single_chars=False).tokenize("现代化建设"))


def test_single_characters_skip_stop_words():
    assert "的" not in PLAIN.tokenize("目的地")


def test_user_dictionary_keeps_a_word_whole_and_is_normalised_like_the_text():
    text = "长春现代化都市圈建设"
    assert "长春现代化都市圈" not in PLAIN.tokenize(text)
    assert "长春现代化都市圈" in CITY.tokenize(text)
    # A traditional-script entry still matches, because entries are normalised too.
    assert "长春现代化都市圈" in Tokenizer(["長春現代化都市圈"]).tokenize(text)


def test_user_dictionary_stays_out_of_jiebas_global_instance():
    CITY.warm_up()
    assert jieba.dt.FREQ.get("长春现代化都市圈") is None


def test_from_file_skips_blank_lines_comments_and_bom(tmp_path):
    path = tmp_path / "userdict.txt"
    path.write_text("\ufeff长春现代化都市圈 100 ns\n\n# a comment\n辽源经济开发区\n", encoding="utf-8")
    tokenizer = Tokenizer.from_file(path)
    assert tokenizer.user_dict_lines == ("长春现代化都市圈 100 ns", "辽源经济开发区")
    assert tokenizer.user_dict_text() == "长春现代化都市圈 100 ns\n辽源经济开发区\n"
    assert "辽源经济开发区" in tokenizer.tokenize("辽源经济开发区招商")


def test_describe_changes_with_every_setting_that_changes_tokens():
    base = Tokenizer(["长春现代化都市圈"]).describe()
    assert base == Tokenizer(["长春现代化都市圈"]).describe()
    assert base != Tokenizer(["长春现代化都市圈", "辽源"]).describe()
    assert base != Tokenizer(["长春现代化都市圈"], single_chars=False).describe()
    assert base["user_dict_entries"] == 1
    assert base["stop_words"] == len(STOP_WORDS)


def test_jieba_start_up_is_silent(capfd):
    Tokenizer().warm_up()
    assert "prefix dict" not in capfd.readouterr().err


def test_concurrent_first_calls_build_one_jieba_instance(monkeypatch):
    created = []

    class CountingJieba(jieba.Tokenizer):
        def __init__(self, *args, **kwargs):
            created.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tokenization.jieba, "Tokenizer", CountingJieba)
    tokenizer = Tokenizer(["长春现代化都市圈"])
    text = "长春现代化都市圈加快建设，辽源、四平、梅河口协同发展。"
    results: list[list[str]] = []
    start = threading.Barrier(8)

    def work():
        start.wait()
        results.append(tokenizer.tokenize(text))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(created) == 1
    assert len(results) == 8
    assert all(result == results[0] for result in results)
    assert "长春现代化都市圈" in results[0]


def test_callers_with_the_same_words_share_one_dictionary_and_tagger():
    words = ("长辽四通高铁 nz", "圈内通办 n")
    assert jieba_with_words(words) is jieba_with_words(list(words))
    tagger = pos_tagger_with_words(words)
    assert pos_tagger_with_words(words) is tagger and tagger.tokenizer is jieba_with_words(words)
    # Every caller of the shared tagger sees the user words' own tags, not "x" for unknown.
    for _ in range(2):
        tags = {pair.word: pair.flag for pair in pos_tagger_with_words(words).cut("长辽四通高铁开通后圈内通办更方便")}
        assert (tags["长辽四通高铁"], tags["圈内通办"]) == ("nz", "n")
    assert jieba_with_words(("另一个词 n",)) is not jieba_with_words(words)

from rag.text.normalize import normalize


def test_traditional_to_simplified():
    assert normalize("遼源什麼時候通高鐵？") == "辽源什么时候通高铁?"


def test_full_width_folded_and_lower_cased():
    assert normalize("ＧＤＰ增長１７％") == "gdp增长17%"


def test_length_is_preserved_so_offsets_map_back():
    for text in ["長春現代化都市圈", "ＡＢＣ　１２３", "ﬁ ligature ㍿", "头发 頭髮 乾隆"]:
        assert len(normalize(text)) == len(text)

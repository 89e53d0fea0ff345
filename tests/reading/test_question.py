import pytest

from rag.errors import QuestionError
from rag.reading.question import AnswerType, analyze_question


def _wh_word(analysis):
    # rag.reading.followup slices the question as written with these offsets.
    return analysis.text[analysis.wh_start : analysis.wh_end]


@pytest.mark.parametrize(
    ("question", "answer_type", "wh_word"),
    [
        ("辽源什么时候通高铁？", AnswerType.DATE, "什么时候"),
        ("长春啥时候开通地铁", AnswerType.DATE, "啥时候"),
        ("《长春都市圈发展规划》是哪一年印发的？", AnswerType.DATE, "哪一年"),
        ("辽源到长春坐高铁要多久？", AnswerType.DURATION, "多久"),
        ("长辽四通高铁辽源段线路有多长？", AnswerType.NUMBER, "多长"),
        ("2026年1月29日发布会上谁代表长春发言？", AnswerType.PERSON, "谁"),
        ("首届比赛在哪里举行？", AnswerType.PLACE, "哪里"),
        ("牛车水是位于哪个国家？", AnswerType.PLACE, "哪个国家"),
        ("辽源职院跟哪个学校合作办学？", AnswerType.ORGANIZATION, "哪个学校"),
        ("辽源在哪些领域全面发力？", AnswerType.LIST, "哪些领域"),
        ("为啥要建设都市圈？", AnswerType.REASON, "为啥"),
        ("这件事咋办？", AnswerType.MANNER, "咋"),
        ("辽源新能源产业有什么特点？", AnswerType.DESCRIPTION, "什么特点"),
        ("MonoDevelop主要是用来开发什么的？", AnswerType.ENTITY, "什么"),
        ("四平市长叫啥？", AnswerType.PERSON, "啥"),
        ("长春市委书记叫什么名字？", AnswerType.PERSON, "什么名字"),
        ("长春最近开通的地铁是几号线？", AnswerType.NUMBER, "几号线"),
        ("冰雪节几号开幕？", AnswerType.DATE, "几号"),
        ("高铁通车了吗？", AnswerType.YESNO, ""),
    ],
)
def test_question_word_and_answer_type(question, answer_type, wh_word):
    analysis = analyze_question(question)
    assert analysis.answer_type is answer_type
    assert _wh_word(analysis) == wh_word


def test_the_question_word_takes_in_the_noun_it_asks_about():
    analysis = analyze_question("《战国无双3》是由哪两个公司合作开发的？")
    assert analysis.answer_type is AnswerType.ORGANIZATION
    assert analysis.text[: analysis.wh_start] == "《战国无双3》是由"
    assert _wh_word(analysis) == "哪两个公司"
    assert analysis.text[analysis.wh_end :] == "合作开发的"


def test_number_questions_carry_their_unit():
    assert analyze_question("辽源有多少户汽车零部件企业？").unit == "户"
    assert analyze_question("佩内塔获得过几次冠军？").unit == "次"
    assert analyze_question("亲相见袜业上半年卖了多少钱？").unit == "元"
    assert analyze_question("管道燃气普及率原先只有多少？").unit == "%"


def test_traditional_full_width_and_mixed_latin_questions_are_normalised():
    # the offsets found in the normalised text are valid in the question as written
    analysis = analyze_question("遼源什麼時候通高鐵？")
    assert (analysis.answer_type, _wh_word(analysis)) == (AnswerType.DATE, "什麼時候")
    latin = analyze_question("ＡＧＧ０１的實際功效有哪些？")
    assert (latin.answer_type, _wh_word(latin)) == (AnswerType.LIST, "哪些")
    assert latin.text[: latin.wh_start] == "ＡＧＧ０１的實際功效有"


def test_question_characters_inside_other_words_are_no_question_word():
    # 许多 is not 多, 几乎 is not 几, 任何 is not 何
    assert analyze_question("许多高校都参加了吗").answer_type is AnswerType.YESNO
    assert _wh_word(analyze_question("几乎所有企业都参加了吗？")) == ""
    naming = analyze_question("医院更名为什么？")
    assert naming.answer_type is AnswerType.ALIAS and _wh_word(naming) == "什么"  # not 为什么


def test_a_lone_he_asks_only_when_no_other_question_word_does():
    # 何 is also a surname: 何皇后 is who the question is about, 什么 is what it asks
    assert _wh_word(analyze_question("何皇后的谥号是什么？")) == "什么"
    assert _wh_word(analyze_question("何炅主持了哪个节目？")) == "哪个节目"
    assert _wh_word(analyze_question("该岛位于何省？")) == "何"


def test_at_where_keeps_the_preposition_as_context():
    analysis = analyze_question("辽源的高铁站选址在哪？")
    assert analysis.text[: analysis.wh_start].endswith("在")
    assert _wh_word(analysis) == "哪"


def test_a_question_without_words_is_refused():
    with pytest.raises(QuestionError, match="ask something"):
        analyze_question(" ？！ ")


@pytest.mark.parametrize(
    "question",
    ["什么是棱柱？", "CS/MPQ-78雷达是什么？", "“一轴”指的是什么？", "什么是“乡里制”？"],
)
def test_a_question_about_a_bare_term_asks_for_its_definition(question):
    assert analyze_question(question).answer_type is AnswerType.DEFINITION


def test_an_attribute_or_a_pronoun_is_no_definition():
    # X的Y是什么 asks for a thing; 这是什么 has no term to define
    assert analyze_question("瓦士本市的主街道是什么？").answer_type is AnswerType.ENTITY
    assert analyze_question("这是什么？").answer_type is AnswerType.ENTITY


def test_after_a_measure_word_one_character_is_the_noun_asked_about():
    assert _wh_word(analyze_question("辽源今年要整治哪几条河？")) == "哪几条河"
    assert _wh_word(analyze_question("吉林市融入都市圈要建哪几个圈？")) == "哪几个圈"


def test_a_place_noun_after_zai_na_is_part_of_the_question_word():
    analysis = analyze_question("龙山区李先生的闺女在哪个城市念书？")
    assert analysis.answer_type is AnswerType.PLACE
    assert _wh_word(analysis) == "哪个城市" and analysis.text[: analysis.wh_start].endswith("在")


def test_the_longest_typed_ending_decides_the_head_type():
    # 国家 ends in 家 (as 作家 does) but is a place
    assert analyze_question("他去过哪个国家？").answer_type is AnswerType.PLACE
    assert analyze_question("辽源拆了多少处围挡？").unit == "处"


def test_an_ordinal_number_before_a_noun_asks_for_the_number_with_it():
    # 几号 alone asks for a day; 几号线 / 几号楼 for the numbered thing.
    assert analyze_question("长春最近开通的地铁是几号线？").unit == "号线"
    assert analyze_question("他住在几号楼？").unit == "号楼"
    # 第几 takes its classifier as 几 does: 第几区 asks for 第三区, 第几张 for 第15张.
    assert analyze_question("香港在DVD分区属于第几区？").unit == "区"
    assert analyze_question("这是他们的第几张单曲？").unit == "张"
    assert analyze_question("导弹分为几类？").unit == "类"


def test_a_unit_character_opening_a_longer_word_is_no_unit():
    analysis = analyze_question("长春农高区一年卖多少种子？")
    assert analysis.unit == ""
    assert _wh_word(analysis) == "多少"
    assert analyze_question("春节期间开进辽源的车有多少辆次？").unit == "辆次"


def test_jia_counts_organisations_even_before_a_place_word():
    analysis = analyze_question("哪两家国家区域医疗中心已经提前开诊了？")
    assert analysis.answer_type is AnswerType.ORGANIZATION
    assert analyze_question("牛车水是位于哪个国家？").answer_type is AnswerType.PLACE


@pytest.mark.parametrize(
    ("question", "answer_type", "wh_word"),
    [
        ("长辽四通高铁辽源段长度", AnswerType.NUMBER, "长度"),
        ("辽源高铁站的位置", AnswerType.PLACE, "位置"),
        ("長春都市圈全面建成時間", AnswerType.DATE, "時間"),
        ("辽源袜业年产值是多少", AnswerType.NUMBER, "多少"),  # a question word still wins
    ],
)
def test_a_keyword_question_asks_for_the_attribute_it_ends_with(question, answer_type, wh_word):
    analysis = analyze_question(question)
    assert (analysis.answer_type, _wh_word(analysis)) == (answer_type, wh_word)


@pytest.mark.parametrize(
    ("question", "chinese", "answer_type", "wh_word"),
    [
        ("who is 吉林市长?", "吉林市长是谁", AnswerType.PERSON, "谁"),
        ("When will 辽源通高铁", "辽源通高铁什么时候", AnswerType.DATE, "什么时候"),
        ("how long is 辽源段高铁？", "辽源段高铁多长", AnswerType.NUMBER, "多长"),
        ("Where is 辽源高铁站", "辽源高铁站在哪里", AnswerType.PLACE, "哪里"),
        ("What is 长辽四通高铁的辽源段长度？", "长辽四通高铁的辽源段长度", AnswerType.NUMBER, "长度"),
    ],
)
def test_an_english_question_phrase_is_asked_the_chinese_way(
    question, chinese, answer_type, wh_word
):
    # the analysed text is the question asked the Chinese way, and the offsets index it
    analysis = analyze_question(question)
    assert analysis.text == chinese
    assert (analysis.answer_type, analysis.text[analysis.wh_start : analysis.wh_end]) == (
        answer_type,
        wh_word,
    )


def test_other_english_words_are_left_where_they_are():
    analysis = analyze_question("Python怎么读取JSON文件？")
    assert (analysis.answer_type, _wh_word(analysis)) == (AnswerType.MANNER, "怎么")


def test_the_noun_before_a_copula_types_a_bare_question_word():
    # X的核心城市是哪个 asks for a place, X的作用是什么 for a description: the noun before 是
    # stands for the answer when nothing follows the question word.
    assert analyze_question("长春现代化都市圈的核心城市是哪个？").answer_type is AnswerType.PLACE
    assert analyze_question("亚硫酸盐在葡萄酒中的作用是什么？").answer_type is AnswerType.DESCRIPTION
    assert analyze_question("该公司的创始人是什么？").answer_type is AnswerType.PERSON
    assert analyze_question("瓦士本市的主街道是什么？").answer_type is AnswerType.ENTITY


@pytest.mark.parametrize(
    "question",
    ["软枝黄蝉的别名是什么？", "锦地罗又被称之为什么？", "魏玩的字是什么？", "赛里木湖古称什么？",
     "旧富国银行后来改名为什么？", "越南投资发展银行的英文名是什么？", "黄蝉的别称叫什么？"],
)
def test_another_name_asked_for_is_an_alias_question(question):
    assert analyze_question(question).answer_type is AnswerType.ALIAS


def test_a_name_asked_after_a_title_or_plainly_is_no_alias_question():
    assert analyze_question("四平市长叫什么名字？").answer_type is AnswerType.PERSON
    assert analyze_question("这条路叫什么名字？").answer_type is AnswerType.ENTITY


@pytest.mark.parametrize(
    ("question", "answer_type"),
    [
        ("辽源高铁多久通车？", AnswerType.DATE),
        ("长辽四通高铁还要多久才能建成？", AnswerType.DATE),
        ("辽源到长春坐高铁要多久？", AnswerType.DURATION),
        ("长柄艾纳香的花期约是多久？", AnswerType.DURATION),
    ],
)
def test_how_long_until_something_opens_asks_when(question, answer_type):
    assert analyze_question(question).answer_type is answer_type

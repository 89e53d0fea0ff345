import pytest

from rag.config import Config
from rag.errors import QuestionError
from rag.extraction import AnswerExtractor
from rag.models import Hit, Passage

# A small article: each paragraph is one passage, offsets are into DOCUMENT.
PARAGRAPHS = (
    "前不久，一则消息让辽源百姓奔走相告：长辽四通高铁辽源段项目取得突破性进展，81.6公里线路走向和南部新城"
    "高铁站选址已正式落定，今年将全力推进项目预可研审批等前期工作，确保“十五五”末期建成通车。",
    "“以前去长春谈业务，开车要一个半小时。等高铁通了，半小时直达！”在吉林启星铝业有限公司，办公室主任刘楠"
    "对未来的憧憬写在脸上。届时，辽源到长春的时空距离将被压缩至30分钟。",
    "1月29日上午，长春现代化都市圈建设新闻发布会召开。省发展改革委主任李平、长春市长顾刚、吉林市长王吉、"
    "四平市市长陈德明、辽源市市长高飞5位发言人分别介绍情况。",
    "谋划实施总投资169亿元的东辽河源头生态安全屏障工程。辽源加快推进天棚“绿氢+”标志性项目建设，预计今年二季度"
    "将实现并网发电。辽源主动融入全省千亿级梅花鹿产业布局，全市聚焦梅花鹿、蛋品、食用菌三大特色品类。",
    "去年全市接待游客5.2万辆次，同比增长17%。",
)
DOCUMENT = "\n".join(PARAGRAPHS)
# Hybrid scores of the top five passages as a share of the first: the medians over the seed
# questions (the reader weighs a passage by how far it falls below the first).
RETRIEVAL_SCORES = (1.0, 0.82, 0.59, 0.53, 0.47)


def _hits(paragraphs=PARAGRAPHS) -> list[Hit]:
    hits, offset = [], 0
    for number, text in enumerate(paragraphs, start=1):
        start = DOCUMENT.index(text, offset)
        passage = Passage(
            f"d1#p{number:03d}", "d1", "d1.txt", "辽源", "", number, start, start + len(text), text
        )
        hits.append(Hit(passage, RETRIEVAL_SCORES[number - 1]))
        offset = start + len(text)
    return hits


@pytest.fixture(scope="module")
def extractor() -> AnswerExtractor:
    # A corpus dictionary as the index would pass it (高铁 outweighs jieba's 通高 in 通高铁).
    reader = AnswerExtractor(
        Config(), user_dict_lines=["长辽四通高铁 nz", "高铁 2000 n", "顾刚 nr", "刘楠 nr"]
    )
    reader.warm_up()
    return reader


def _answer(extractor: AnswerExtractor, question: str):
    answer = extractor.extract(question, _hits())
    assert answer is not None, question
    return answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("辽源段高铁线路一共多长？", "81.6公里"),
        ("东辽河源头生态安全屏障工程总投资多少？", "169亿元"),
        ("去年全市接待游客多少辆次？", "5.2万辆次"),
        ("同比增长多少？", "17%"),
    ],
)
def test_numbers_come_with_their_unit(extractor, question, expected):
    assert _answer(extractor, question).text == expected


def test_durations(extractor):
    assert _answer(extractor, "辽源到长春坐高铁要多久？").text in {"半小时", "30分钟"}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("辽源什么时候通高铁？", "“十五五”末期"),
        ("天棚“绿氢+”项目什么时候并网发电？", "今年二季度"),
        ("长春现代化都市圈建设新闻发布会什么时候召开？", "1月29日上午"),
    ],
)
def test_dates_and_periods(extractor, question, expected):
    assert _answer(extractor, question).text == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("2026年1月29日发布会上谁代表长春发言？", "顾刚"),
        ("启星铝业那位办公室主任叫啥名？", "刘楠"),
        ("吉林市长是谁？", "王吉"),
        # 四平 is matched in its own list item, not in the item before 辽源市市长高飞.
        ("四平市长是谁？", "陈德明"),
    ],
)
def test_persons(extractor, question, expected):
    answer = _answer(extractor, question)
    assert answer.text == expected
    assert answer.answer_type == "person"


def test_places(extractor):
    assert _answer(extractor, "辽源的高铁站选在哪里？").text == "南部新城"


def test_lists_are_the_enumeration(extractor):
    answer = _answer(extractor, "辽源聚焦哪些特色品类？")
    assert answer.answer_type == "list"
    assert "梅花鹿、蛋品、食用菌" in answer.text


def test_traditional_question(extractor):
    assert _answer(extractor, "遼源什麼時候通高鐵？").text == "“十五五”末期"


def test_slot_between_the_question_words_left_and_right_of_the_question_word():
    text = "《战国无双3》是由光荣和ω-force合作开发的动作游戏，于2010年发售。"
    passage = Passage("g#p001", "g", "g.txt", "游戏", "", 1, 0, len(text), text)
    answer = AnswerExtractor().extract(
        "《战国无双3》是由哪两个公司合作开发的？", [Hit(passage, 1.0)]
    )
    assert answer is not None
    assert answer.text == "光荣和ω-force"
    assert answer.answer_type == "organization"


def test_inverted_sentence_puts_the_answer_before_the_question_words():
    text = "威斯康辛州州立公路13号是瓦士本市的主街道。"
    passage = Passage("w#p001", "w", "w.txt", "", "", 1, 0, len(text), text)
    answer = AnswerExtractor().extract("瓦士本市的主街道是什么？", [Hit(passage, 1.0)])
    assert answer is not None and answer.text == "威斯康辛州州立公路13号"


def test_offsets_point_into_the_document(extractor):
    for question in (
        "辽源段高铁线路一共多长？",
        "吉林市长是谁？",
        "辽源什么时候通高铁？",
        "为什么要建设生态安全屏障工程？",
    ):
        answer = _answer(extractor, question)
        assert DOCUMENT[answer.start : answer.end] == answer.text
        assert DOCUMENT[answer.sentence_start : answer.sentence_end] == answer.sentence
        assert answer.sentence_start <= answer.start <= answer.end <= answer.sentence_end
        assert answer.doc_id == "d1" and answer.passage_id.startswith("d1#p")
        assert 0.0 <= answer.score <= 1.0


def test_why_questions_get_the_sentence(extractor):
    answer = _answer(extractor, "为什么以前去长春谈业务不方便？")
    assert answer.answer_type == "reason"
    assert answer.text == answer.sentence


def test_unrelated_passages_give_no_answer_or_one_below_the_threshold(extractor):
    assert extractor.extract("Python怎么读取JSON文件？", _hits()) is None
    for question in ("巴黎圣母院是哪一年建成的？", "苹果公司的首席执行官是谁？"):
        answer = extractor.extract(question, _hits())
        assert answer is None or answer.score < Config().answer_min_score


def test_answered_questions_score_above_the_threshold(extractor):
    for question in ("辽源段高铁线路一共多长？", "吉林市长是谁？", "辽源什么时候通高铁？"):
        assert _answer(extractor, question).score > Config().answer_min_score


def test_no_hits_no_answer(extractor):
    assert extractor.extract("辽源什么时候通高铁？", []) is None


def test_only_the_configured_number_of_passages_is_read():
    reader = AnswerExtractor(Config(answer_passages=1))
    answer = reader.extract("同比增长多少？", _hits())
    assert answer is None or answer.passage_id == "d1#p001"


def test_bad_settings_and_questions_are_refused(extractor):
    with pytest.raises(ValueError, match="answer_passages"):
        AnswerExtractor(Config(answer_passages=0))
    with pytest.raises(ValueError, match="reader_sentences"):
        AnswerExtractor(Config(reader_sentences=0))
    with pytest.raises(QuestionError):
        extractor.extract("？？", _hits())


def _single(text: str) -> list[Hit]:
    return [Hit(Passage("c#p001", "c", "c.txt", "", "", 1, 0, len(text), text), 1.0)]


def test_a_role_asked_for_is_answered_where_the_sentence_states_it_with_yi_wei():
    text = (
        "长春市在推动都市圈城市加强科技创新和产业发展方面将从以下三个方面着力。"
        "都市圈是区域协调的核心载体。长春现代化都市圈以长春为核心，联动吉林、四平、辽源三市。"
    )
    answer = AnswerExtractor().extract("都市圈的核心是哪个城市？", _single(text))
    assert answer is not None and answer.text == "长春"


def test_definition_questions_get_the_sentence_that_defines_the_term():
    text = (
        "底面是正多边形的直棱柱叫做正棱柱。"
        "棱柱是几何学中的一种常见的三维多面体，指两个平行的平面被三个或以上的平面所截得的封闭几何体。"
    )
    answer = AnswerExtractor().extract("什么是棱柱？", _single(text))
    assert answer is not None and answer.answer_type == "definition"
    assert answer.text.startswith("棱柱是几何学中") and answer.text == answer.sentence


def test_a_lone_function_word_before_the_matched_words_is_no_answer():
    # The clause before "主要的入口后" is only 在; the thing asked about follows it.
    text = "在主要的入口后，有由拉吉设计的圣嘉禄像。"
    answer = AnswerExtractor().extract("教堂的主要入口后，摆有什么雕像？", _single(text))
    assert answer is not None and answer.text == "圣嘉禄像"


def test_a_range_in_the_asked_unit_is_taken_whole():
    text = "锦地罗生长于海拔50米至1,520米的地区，多生长在草地和湿地。"
    answer = AnswerExtractor().extract("锦地罗生长的地区海拔约是多少米？", _single(text))
    assert answer is not None and answer.text == "50米至1,520米"


def test_several_names_asked_for_get_the_whole_enumeration():
    text = "今年，辽源将全面整治大梨树河、太平河和小仙人河三条河流，改善城区水环境。"
    answer = AnswerExtractor().extract("辽源今年要整治哪几条河？", _single(text))
    assert answer is not None and answer.text == "大梨树河、太平河和小仙人河"


def test_an_enumeration_of_the_noun_asked_for_answers_a_plural_question():
    # The first sentences share 都市圈 and 城市 with the question; the last lists four cities and
    # closes the list with the noun asked for (4个城市).
    text = (
        "各地结合城市定位、产业布局与未来人口预测，盘活都市圈内教育资源。"
        "持续推动教育、医疗等优势资源向都市圈城市延伸覆盖。"
        "都市圈内资源共享，带来了方便。"
        "长春现代化都市圈建设过程中，教育资源打通共享。"
        "目前，都市圈建设进程中，已经推动实现首批事项208项。"
        "长春市在推动都市圈城市加强科技创新方面将从三个方面着力。"
        "四市共建都市圈城市云网校，打造精品课程。"
        "都市圈建设是赋予吉林省和长春市、吉林市、四平市、辽源市4个城市的重大历史使命。"
    )
    answer = AnswerExtractor().extract("都市圈有哪几个城市？", _single(text))
    assert answer is not None and answer.text == "长春市、吉林市、四平市、辽源市"


def test_an_enumeration_starts_at_its_first_name_not_the_verb_before_it():
    text = "长春现代化都市圈以长春为核心，联动吉林、四平、辽源三市。"
    answer = AnswerExtractor().extract("长春现代化都市圈包括哪几个城市？", _single(text))
    assert answer is not None and answer.text == "吉林、四平、辽源"


def test_a_list_answer_ends_with_the_enumeration_not_its_count(extractor):
    # A list of things keeps the words before it (CMRC answers 分布于X、Y); the count 三大 that
    # answers 哪几 itself goes.
    answer = _answer(extractor, "辽源主打哪几种特色品类？")
    assert answer.text.endswith("梅花鹿、蛋品、食用菌")


def test_a_verb_after_a_name_is_not_part_of_it():
    text = "“订单排到了年底。”吉林启星铝业有限公司生产副总经理王立臣说。"
    reader = AnswerExtractor(user_dict_lines=["王立臣 nr"])
    answer = reader.extract("启星铝业的生产副总经理叫什么？", _single(text))
    assert answer is not None and answer.text == "王立臣"


@pytest.mark.parametrize(
    "question",
    [
        "哈尔滨到长春坐高铁要多久？",  # 哈尔滨 is in no passage
        "辽源到长春的高铁票价多少钱？",  # 票价 is not in the sentence, which holds no amount
    ],
)
def test_on_topic_questions_the_passages_do_not_answer_score_below_the_threshold(
    extractor, question
):
    answer = extractor.extract(question, _hits())
    assert answer is None or answer.score < Config().answer_min_score


def test_a_sentence_holding_a_shortened_question_word_is_preferred():
    # 名字 appears only as 名 in the answer sentence (得名).
    text = (
        "盾柱木（学名：Peltophorum），别称双翼豆、闭䇲木、黄燄木及翅果木，是豆科的植物。"
        "盾柱木是一种乔木，高约4至15米。因盾柱木的柱头形状貌如盾形，故而得名。"
    )
    answer = AnswerExtractor().extract("盾柱木的名字是怎样得来的？", _single(text))
    assert answer is not None and answer.sentence == "因盾柱木的柱头形状貌如盾形，故而得名。"


def test_a_quoted_term_is_defined_by_the_sentence_that_opens_with_it():
    text = (
        "秦汉至隋唐的「乡里制」，历经千余年，各朝之间其具体形式不尽相同。"
        "乡里制，是中国古代农村社会基层组织体系，即县下有乡，乡下有里。"
    )
    answer = AnswerExtractor().extract("什么是“乡里制”？", _single(text))
    assert answer is not None and answer.text.startswith("乡里制，是中国古代")


def test_a_sentence_about_the_term_does_not_outrank_its_definition():
    text = (
        "由于放线菌酮拥有非常强烈的毒性，它一般只被用在体外的研究应用中。"
        "放线菌酮是一种具苦味的物质，它是灰色链霉菌的一种产物。"
    )
    answer = AnswerExtractor().extract("什么是放线菌酮？", _single(text))
    assert answer is not None and answer.text.startswith("放线菌酮是一种具苦味的物质")


def test_a_number_next_to_the_words_by_the_question_word_wins():
    # 三期 stands next to 龙嘉机场, far from 多少 in the question; 2000万人次 follows 旅客.
    text = "龙嘉机场三期及其综合枢纽建设工程加快推进,T3航站楼建成后,年旅客吞吐量将突破2000万人次。"
    answer = AnswerExtractor().extract("龙嘉机场T3航站楼建好后一年能运多少旅客？", _single(text))
    assert answer is not None and answer.text == "2000万人次"


def test_a_count_does_not_answer_a_question_asking_for_a_measure():
    text = "在辽源，20平方公里的采煤沉陷区正在经历一场前所未有的生态蜕变。"
    answer = AnswerExtractor().extract("辽源的煤矿塌陷区面积有多大？", _single(text))
    assert answer is not None and answer.text == "20平方公里"


def test_an_ordinal_asked_for_comes_with_its_noun():
    text = "轨道交通建设提速增效，地铁6号线开通运营，轨道交通二号线东延工程稳步推进。"
    answer = AnswerExtractor().extract("长春最近开通的地铁是几号线？", _single(text))
    assert answer is not None and answer.text == "6号线"
    text = "《Real World》是日本音乐团体EXILE的第15张单曲，于2006年发行。"
    answer = AnswerExtractor().extract("《Real World》是EXILE的第几张单曲？", _single(text))
    assert answer is not None and answer.text == "第15张"


@pytest.mark.parametrize(
    ("text", "question", "expected"),
    [
        # 一个半小时 is one duration, not 一 followed by 半小时.
        (
            "“以前去长春谈业务，开车要一个半小时，遇上雨雪天气更没准。”",
            "以前从辽源开车去长春要多久？",
            "一个半小时",
        ),
        # 个 is the general classifier: 15处 answers 几个.
        (
            "辽源将同步推进普铁外迁工程，消除15处铁路道口对城市的分割。",
            "普铁外迁能消除几个铁路道口？",
            "15处",
        ),
        (
            "北大湖、松花湖滑雪场与长春联合打造精品文旅线路，长春游客占比超七成。",
            "北大湖、松花湖滑雪场的游客里长春游客占多少？",
            "超七成",
        ),
        # 多少种子 asks for an amount of seeds, not a count of kinds (种).
        (
            "长春国家农高区集聚鸿翔种业、先正达等龙头企业，年销种子9000万斤。",
            "长春农高区一年卖多少种子？",
            "9000万斤",
        ),
    ],
)
def test_counts_shares_and_amounts_in_less_common_units(text, question, expected):
    answer = AnswerExtractor().extract(question, _single(text))
    assert answer is not None
    assert answer.text == expected


def test_a_date_question_gets_the_date_of_the_sentence_not_a_framed_word():
    text = (
        "去年10月，《长春都市圈发展规划》正式印发，全省上下锚定目标、协同联动，"
        "扎实推进各项重点任务。"
    )
    answer = AnswerExtractor().extract("都市圈发展规划什么时候印发的？", _single(text))
    assert answer is not None
    assert answer.text == "去年10月"


def test_a_count_of_years_is_no_date_but_an_era_year_is():
    # 三年攻坚行动 says how long, not when: no confident date answer comes from it
    count = "长春都市圈发展规划实施的三年攻坚行动进展顺利。"
    answer = AnswerExtractor().extract("长春都市圈发展规划什么时候实施的？", _single(count))
    assert answer is None or (answer.text != "三年" and answer.score < Config().answer_min_score)
    era = "正德五年（1510年）十月，刘六、刘七在霸州起义。"
    answer = AnswerExtractor().extract("刘六和刘七是何时在霸州起义的？", _single(era))
    assert answer.text.startswith("正德五年（1510年）")


@pytest.mark.parametrize(
    ("text", "question", "expected"),
    [
        (
            "8月22日，《长春都市圈发展规划》正式获得国家发展和改革委员会批复；",
            "都市圈规划是哪个部门批复的？",
            "国家发展和改革委员会",
        ),
        ("海梅·雷耶斯是DC漫画公司的虚拟人物。", "海梅·雷耶斯是哪家漫画公司的虚拟人物？", "DC漫画公司"),
    ],
)
def test_an_organisation_is_known_by_how_its_name_ends(text, question, expected):
    # jieba tags none of these nt: 国家|发展|和|改革|委员会
    answer = AnswerExtractor().extract(question, _single(text))
    assert answer is not None and answer.text == expected


def test_several_names_asked_for_are_answered_by_the_list_not_one_name():
    # 长春 of the question's 长春现代化都市圈 may answer, but 哪几个城市 asks for a list
    text = "长春现代化都市圈以长春为核心，联动吉林、四平、辽源三市。"
    reader = AnswerExtractor(Config(), user_dict_lines=["长春现代化都市圈 nz"])
    answer = reader.extract("长春现代化都市圈包括哪几个城市？", _single(text))
    assert answer is not None and answer.text == "吉林、四平、辽源"


def test_a_passage_about_another_city_gives_way_to_one_about_the_asked_city():
    # The passage about 辽源 matches the question's words better (开通了, 都市圈内…通办事项).
    liaoyuan = (
        "目前，辽源已经开通了覆盖医保、社保、不动产登记等63个都市圈内民生服务通办事项。"
        "辽源市政务服务中心工作人员为群众高效办理业务。"
    )
    jilin = "目前，吉林市围绕重点民生服务领域，已经成功上线62个政务服务“圈内通办”事项。"
    hits = [
        Hit(Passage("a#p001", "a", "a.txt", "", "", 1, 0, len(liaoyuan), liaoyuan), 1.0),
        Hit(Passage("b#p001", "b", "b.txt", "", "", 1, 0, len(jilin), jilin), 0.9),
    ]
    answer = AnswerExtractor().extract("吉林市开通了多少个圈内通办事项？", hits)
    assert answer is not None
    assert answer.text == "62个"
    assert answer.score >= Config().answer_min_score


def test_an_answer_from_a_sentence_about_another_city_scores_below_the_threshold():
    text = (
        "“以前去长春谈业务，开车要一个半小时。”届时，辽源到长春的时空距离将被压缩至30分钟。"
        "辽源市将交通一体化作为先行领域。"
    )
    other = "吉林市是长春现代化都市圈的重要支撑，将全面融入长春现代化都市圈建设。"
    hits = [
        Hit(Passage("a#p001", "a", "a.txt", "", "", 1, 0, len(text), text), 1.0),
        Hit(Passage("b#p001", "b", "b.txt", "", "", 1, 0, len(other), other), 0.9),
    ]
    answer = AnswerExtractor().extract("长春到吉林坐高铁要多久？", hits)
    assert answer is None or answer.score < Config().answer_min_score


def test_a_list_of_no_places_does_not_answer_which_cities():
    text = (
        "2026年新年伊始，包括中车长春轨道客车股份有限公司智能工厂、“吉星”卫星星座建设、"
        "精细化工中试基地建设等在内的众多项目加速推进，为都市圈产业升级注入强劲动力。"
    )
    answer = AnswerExtractor().extract("长春都市圈包括哪几个城市？", _single(text))
    assert answer is None or answer.score < Config().answer_min_score


def test_a_share_asked_for_is_answered_in_tenths_too():
    text = "松花湖滑雪场今年接待游客30万人次，长春游客的比例为七成。"
    question = "松花湖滑雪场的游客里长春游客的比例是多少？"
    answer = AnswerExtractor().extract(question, _single(text))
    assert answer is not None
    assert answer.text == "七成"
    assert answer.score > 0.5  # of the asked type, not a stray number


def test_a_name_the_question_holds_is_no_answer_to_it(extractor):
    # 辽源 is what the question is about: the clause holding it (（辽源段）项目以来) is no place.
    texts = (
        "自推进长四辽通高铁（辽源段）项目以来，辽源市高铁建设专班工作人员与铁路设计专家顶着烈日"
        "勘察车站选址的场景已成常态。",
        PARAGRAPHS[0],
    )
    hits = [  # two documents: a sentence is known by its document and offset
        Hit(Passage(f"d{n}#p1", f"d{n}", f"d{n}.txt", "", "", 1, 0, len(text), text), 1.0 - 0.1 * n)
        for n, text in enumerate(texts)
    ]
    answer = extractor.extract("辽源的高铁站选址在哪？", hits)
    assert answer is not None and answer.text == "南部新城"


@pytest.mark.parametrize(
    ("text", "question", "expected"),
    [
        (
            "九台区马鞍山村通过“闲房变客房、农民变老板、无业变就业”的“三变”模式，带动村民投身文旅产业。",
            "九台哪个村搞了闲房变客房？",
            "马鞍山村",
        ),
        (
            "为借鉴先进地区经验，省委常委、长春市委书记张恩惠专程带队赴上海、成都考察学习。",
            "长春市委书记叫什么名字？",
            "张恩惠",
        ),
        ("2009年3月17日，马克·拉瓦卢马纳纳总统宣布解散政府。", "2009年3月17日谁宣布解散政府？", "马克·拉瓦卢马纳纳"),
    ],
)
def test_a_name_ends_before_the_words_that_go_on_with_the_sentence(text, question, expected):
    # jieba cuts 马鞍山|村 without the corpus dictionary: the name takes one more character.
    reader = AnswerExtractor(user_dict_lines=["张恩惠 nr", "九台区 ns"])
    answer = reader.extract(question, _single(text))
    assert answer is not None and answer.text == expected


@pytest.mark.parametrize(
    ("text", "question", "expected"),
    [
        (
            "深化职业院校与高等院校结对合作，重点推进辽源职业技术学院与长春工程学院合作办学。",
            "辽源职院跟哪个学校合作办学？",
            "长春工程学院",
        ),
        ("2000年，桃花源小厨于香港开设第一间分店。", "2000年桃花源小厨在哪儿开设？", "香港"),
    ],
)
def test_a_preposition_before_a_name_is_not_part_of_it(text, question, expected):
    reader = AnswerExtractor(user_dict_lines=["长春工程学院 nt", "辽源职业技术学院 nt"])
    answer = reader.extract(question, _single(text))
    assert answer is not None and answer.text == expected


def test_an_amount_comes_without_the_verb_before_it():
    text = "四平市精心谋划重点建设项目121个，总投资达984亿元。"
    answer = AnswerExtractor().extract("四平这些重点项目总投资多少？", _single(text))
    assert answer is not None and answer.text == "984亿元"


def test_a_title_cut_by_the_answer_edge_is_taken_whole():
    text = (
        "公理高中书院提供两年制职业教育及培训课程，分别是「旅游业务管理（航空及邮轮）文凭课程」"
        "及「款待与旅游管理文凭课程」。"
    )
    answer = AnswerExtractor().extract("公理高中书院的两年制职业教育及培训课程有哪些？", _single(text))
    assert answer is not None
    assert answer.text == "「旅游业务管理（航空及邮轮）文凭课程」及「款待与旅游管理文凭课程」"


def test_a_title_the_question_names_is_not_added_to_the_answer():
    text = "“赛里木”为哈萨克语音译，意为“祝愿”。"
    answer = AnswerExtractor().extract("赛里木是哪一种语言的音译？", _single(text))
    assert answer is not None and "赛里木" not in answer.text and "哈萨克语" in answer.text


def test_a_year_question_prefers_a_date_that_names_the_year():
    day = "10月9日，《长春都市圈发展规划》经省政府批准正式印发实施。"
    year = "去年10月，《长春都市圈发展规划》正式印发，全省上下锚定目标。"
    hits = [
        Hit(Passage("a#p001", "a", "a.txt", "", "", 1, 0, len(day), day), 1.0),
        Hit(Passage("b#p001", "b", "b.txt", "", "", 1, 0, len(year), year), 0.9),
    ]
    reader = AnswerExtractor()
    assert reader.extract("都市圈规划是哪一年印发的？", hits).text == "去年10月"
    assert reader.extract("都市圈规划是哪天印发的？", hits).text == "10月9日"


def test_a_person_title_in_the_question_asks_for_a_person_not_an_organisation():
    text = (
        "去年10月，《长春都市圈发展规划》正式印发，全省上下锚定目标、协同联动，扎实推进各项重点任务。\n"
        "2026年是长春现代化都市圈建设的关键之年。吉林省发改委将全力推动长春现代化都市圈建设迈上新的台阶。"
        "重点做好四个方面工作。"
    )
    # The corpus dictionary knows 吉林省发改委 as an organisation, which 谁 alone may ask for.
    reader = AnswerExtractor(user_dict_lines=["吉林省发改委 nt"])
    answer = reader.extract("谁是省发改委主任？", _single(text))
    assert answer is None or answer.score < Config().answer_min_score
    titled = "会上，省发展改革委主任李平介绍了都市圈建设情况。"
    answer = reader.extract("谁是省发展改革委主任？", _single(titled))
    assert answer is not None and answer.text == "李平"


def test_a_name_inside_a_longer_question_word_can_answer_it():
    # 长春 inside the name 长春现代化都市圈 (a corpus term) is not the question naming 长春: it
    # fills the slot between 以 and 为核心, though the question holds its characters.
    text = "长春现代化都市圈以长春为核心，联动吉林、四平、辽源三市。"
    reader = AnswerExtractor(Config(), user_dict_lines=["长春现代化都市圈 nz"])
    answer = reader.extract("长春现代化都市圈以哪个城市为核心？", _single(text))
    assert answer is not None and answer.text == "长春"
    assert answer.score >= Config().answer_min_score


def test_a_passage_retrieval_scores_far_below_the_first_gives_way():
    texts = ("届时，辽源到长春的时空距离将被压缩至30分钟。", "辽源到长春坐大巴要两个小时。")

    def hits(second_score: float) -> list[Hit]:
        return [
            Hit(Passage(f"d#p{n}", "d", "d.txt", "", "", n, 0, len(text), text), score)
            for n, (text, score) in enumerate(zip(texts, (1.0, second_score)))
        ]

    # The second sentence matches the question a little better (要): it wins when retrieval
    # scores its passage close to the first, not when far below it.
    question = "辽源到长春要多久？"
    assert AnswerExtractor().extract(question, hits(0.9)).text == "两个小时"
    assert AnswerExtractor().extract(question, hits(0.2)).text == "30分钟"


@pytest.mark.parametrize(
    ("text", "question", "expected"),
    [
        # The sentence's marker (又名) need not be the question's (别名): the name follows it.
        ("玉山箭竹为禾本科玉山竹属的植物，又名玉山矢竹、玉山云竹，为台湾特有种。", "玉山箭竹的别名是什么？",
         "玉山矢竹、玉山云竹"),
        ("短叶水蜈蚣，别名无头土香（台湾）、无头香，为莎草科的植物。", "短叶水蜈蚣又被称为什么？",
         "无头土香（台湾）、无头香"),
        ("越南投资发展银行（英文全称：Bank for Investment and Development of Vietnam）是越南最大的国有银行。",
         "越南投资发展银行的英文名是什么？", "Bank for Investment and Development of Vietnam"),
    ],
)
def test_another_name_is_what_follows_a_marker_of_one(text, question, expected):
    answer = AnswerExtractor().extract(question, _single(text))
    assert answer is not None and answer.text == expected


def test_a_sentence_shared_by_neighbouring_passages_takes_one_of_the_places_read():
    # Passages overlap by a sentence; read twice, 8月… would fill two of the two places read
    # here and the sentence saying when the line opens would never be read.
    document = (
        "辽源推进交通一体化，构建高铁半小时交通圈。"
        "8月，政企会谈通过了长四辽通高铁（辽源段）项目工作方案。"
        "辽源高铁项目力争“十五五”末期建成通车。"
    )
    first, second, third = (sentence + "。" for sentence in document.split("。")[:3])
    texts = [first + second, second + third]
    hits = []
    for number, text in enumerate(texts, start=1):
        start = document.index(text)
        passage = Passage(f"d#p{number}", "d", "d.txt", "", "", number, start, start + len(text), text)
        hits.append(Hit(passage, 1.0 / number))
    answer = AnswerExtractor(Config(reader_sentences=2)).extract("辽源什么时候通高铁？", hits)
    assert answer is not None and answer.text == "“十五五”末期"


def _titled_hits(documents, scores, titled=True):
    """One passage per ``(doc_id, title, text)``, with the title or without."""
    return [
        Hit(
            Passage(f"{doc}#p1", doc, f"{doc}.txt", title if titled else "", "", 1, 0, len(text), text),
            score,
        )
        for (doc, title, text), score in zip(documents, scores, strict=True)
    ]


def test_a_sentence_leaving_out_its_articles_subject_answers_a_question_naming_it():
    # The article is about its title; the answer sentence does not repeat it, the lead does.
    documents = [
        (
            "a",
            "夜来香",
            "夜来香是萝藦科夜来香属的植物，别名夜香花。夜来香枝条细长，夏秋傍晚开花，飘出阵阵浓香。"
            "种子宽卵形，顶端具白色绢质种毛。",
        ),
        ("b", "大果西番莲", "大果西番莲的果实中包含了许多的种子。该果实果肉厚且种子少。"),
        ("c", "盾柱木", "盾柱木的荚果有种子3－4颗。"),
    ]
    extractor = AnswerExtractor(Config())
    question = "夜来香的种子有什么特点？"
    answer = extractor.extract(question, _titled_hits(documents, (1.0, 0.6, 0.5)))
    assert answer is not None and answer.text == "种子宽卵形，顶端具白色绢质种毛。"
    untitled = extractor.extract(question, _titled_hits(documents, (1.0, 0.6, 0.5), titled=False))
    assert untitled is not None and untitled.text != answer.text


@pytest.mark.parametrize("title", ["盾柱木", "盾柱木 (植物)"])
def test_a_passage_of_another_article_than_the_one_the_question_names_counts_less(title):
    documents = [
        (
            "a",
            title,
            "盾柱木是苏木科盾柱木属的植物。盾柱木的荚果扁平，边缘具翅。"
            "原产于中国海南岛、越南、马来西亚、澳洲及美洲等。",
        ),
        (
            "b",
            "萱侬律",
            "萱侬律是泰国的一座植物园。植物的原产地侧重于东南亚、美洲热带、非洲及中部非洲种植的苏铁类植物。",
        ),
    ]
    extractor = AnswerExtractor(Config())
    question = "盾柱木的原产地在哪里？"
    answer = extractor.extract(question, _titled_hits(documents, (1.0, 0.9)))
    assert answer is not None and (answer.doc_id, answer.text) == ("a", "中国海南岛")
    # Untitled, nothing says 萱侬律's sentence is about another plant, and it frames the slot.
    untitled = extractor.extract(question, _titled_hits(documents, (1.0, 0.9), titled=False))
    assert untitled is not None and untitled.doc_id == "b"

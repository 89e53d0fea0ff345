"""Question-word analysis for follow-up rewriting (``rag.reading.followup``).

``analyze_question(question) -> QuestionAnalysis`` finds the question word (谁, 什么时候, 多少分钟,
哪两个公司, 啥时候, 多久…) with its span, the type of answer it asks for and, for a number, its
unit: ``rag.reading.followup`` takes a follow-up's missing topic from the previous question, the words
before its question word and the noun a 多少 / 几 counts after it.

Works on the ``rag.text.normalize.normalize``d question, so traditional characters, full-width forms
and upper case are handled. The offsets index the normalised question, which has the length of
the original, so they index that too — except after a leading English question phrase, which is
moved to the end (who is 吉林市长 → 吉林市长是谁).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import jieba

from rag.errors import QuestionError
from rag.text.normalize import normalize


class AnswerType(StrEnum):
    NUMBER = "number"  # 多少 / 几 / 多大 / 第几…, see ``QuestionAnalysis.unit``
    DURATION = "duration"  # 多久 / 多长时间
    DATE = "date"  # 何时 / 什么时候 / 哪年 / 几月 / 哪个时期…
    PERSON = "person"  # 谁 / 哪位 / 什么人
    PLACE = "place"  # 哪里 / 哪儿 / 什么地方 / 哪个城市 / 哪国
    ORGANIZATION = "organization"  # 哪家 / 哪所 / 哪个公司 / 什么机构
    LIST = "list"  # 哪些 / 哪几
    REASON = "reason"  # 为什么 / 为何 / 为啥
    MANNER = "manner"  # 怎么 / 怎样 / 如何 / 咋
    YESNO = "yesno"  # 是否 / 吗
    DESCRIPTION = "description"  # 什么特点 / 什么作用 / 什么影响 / 什么样: asks for a description
    DEFINITION = "definition"  # 什么是X / X是什么 (X a bare term): asks what X is
    ALIAS = "alias"  # 别名 / 简称 / 原名 / 英文名是什么, 又称 / 被称为什么: another name of a thing
    ENTITY = "entity"  # 什么 / 哪个 / 啥 (+ noun): a thing no other type fits
    OTHER = "other"  # no question word found


# Question words, tried in this order; the first rule that matches at the start of a jieba word
# wins. A group named "head" captures the noun asked about, which stays in the question word's span.
# 几号 asks for a day (几号到), unless a noun follows that the number orders (几号线, 几号楼).
_ORDINAL_NOUN = r"(?:线|楼|院|馆|房|门|车|机|位|床|桌)"
_UNIT = (
    r"(?:[个位名次届座种项所家条人年月天日岁倍米吨克元股只头匹艘架支枚篇首集期户层间本册张场辆台件部份套处"
    r"块片页字节站班批分秒周代度点区类级轮]|分钟|小时|公里|千米|厘米|毫米|公分|平方公里|平方米|公顷|千克|公斤|美元"
    rf"|英里|英尺|[人辆架场车班]次|万|亿|号{_ORDINAL_NOUN})"
)
_RULES: tuple[tuple[AnswerType, str], ...] = (
    (AnswerType.REASON, r"为什么|为何|为啥|干嘛|干吗|何故|怎么会|什么原因|啥原因"),
    (
        AnswerType.DATE,
        r"什么时候|啥时候|什么时间|啥时间|何时|几时|何年|哪一?年|哪一?天|哪一?日|哪一?月|几月几[日号]|几月份?"
        rf"|几日|几号(?!{_ORDINAL_NOUN})|几点钟?"
        r"|(?:哪一?个|什么|啥)(?P<head>年代|年份|月份|时期|时代|朝代|世纪|季节|季度|阶段|日子)",
    ),
    (
        AnswerType.DURATION,
        r"多久|多长时间|多少时间|多少年|多少天|多少个月|多少小时|多少分钟|几年|几天|几个月|几小时|几个小时|几分钟",
    ),
    (AnswerType.LIST, r"哪些|哪几(?:方面|[个种项位家所座类条处件名只支部款样])?"),
    (AnswerType.PERSON, r"谁|哪一?位|什么人|啥人|何人|哪一?个人"),
    (
        AnswerType.PLACE,
        r"哪里|哪儿|哪兒|何地|何处|何方|什么地方|啥地方|什么位置"
        r"|在?哪一?个?(?P<head>国家|城市|省份?|地区|地方|县|市|州|区|岛|村|镇)|在哪(?:里|儿|兒)?|哪一?国",
    ),
    (AnswerType.NUMBER, rf"第?(?:几|多少){_UNIT}?|多[大高长重远深宽快厚少]"),
    (AnswerType.MANNER, r"怎么样|怎样|如何|怎么|咋样|咋|怎"),
    (AnswerType.YESNO, r"是否|是不是|有没有|能否|可否|能不能|会不会"),
    (
        AnswerType.ENTITY,
        r"哪[一两二三四五六七八九十]?[个种类家所座条项部只支款本首]?|什么样?|啥|何种|何为|何物|有何|何",
    ),
)
_COMPILED = tuple((answer_type, re.compile(pattern)) for answer_type, pattern in _RULES)

# A keyword question, without a question word, ends with the attribute it asks for
# (长辽四通高铁辽源段长度, 辽源高铁站的位置).
_ATTRIBUTES: tuple[tuple[AnswerType, str], ...] = (
    (AnswerType.NUMBER, r"长度|全长|里程|距离|面积|人口|数量|人数|总数|数目|金额|投资额?|总投资|规模|产值|价格|票价|费用|高度|速度"),
    (AnswerType.DATE, r"时间|日期|年份|时候|年代"),
    (AnswerType.PLACE, r"地点|位置|地址|所在地|选址"),
    (AnswerType.ENTITY, r"名字|名称|姓名|全称"),
)
_ATTRIBUTE_ENDING = tuple(
    (answer_type, re.compile(rf"(?:{pattern})(?=是?(?:多少|几|什么|啥)?$)")) for answer_type, pattern in _ATTRIBUTES
)
# An English question phrase at the start (who is 吉林市长, when will 辽源通高铁) is asked the
# Chinese way, with its Chinese question word at the end, so the rules below find it.
_AUXILIARIES = r"(?:\s+(?:is|are|was|were|will|would|does|do|did|can|could|has|have|had|the))*\b"
_ENGLISH_QUESTION = tuple(
    (re.compile(rf"^(?:{english}){_AUXILIARIES}"), chinese)
    for english, chinese in (
        (r"how long", "多长"),
        (r"how (?:many|much)", "多少"),
        (r"how far", "多远"),
        (r"how (?:big|large)", "多大"),
        (r"how (?:tall|high)", "多高"),
        (r"what year|which year", "哪一年"),
        (r"when|what time", "什么时候"),
        (r"who's|whom|who", "是谁"),
        (r"where's|where", "在哪里"),
        (r"why", "为什么"),
        (r"what's|what|which", "是什么"),
    )
)
_YESNO_END = re.compile(r"[吗麼么]$")
_VERB_WITH_WEI = re.compile(r"(?:名|称|改|算|成|作|列|定|视|译|分|选|评|升|变|转|划|叫)$")

# Heads that turn a generic 什么/哪个 + noun into a typed question; matched on the head's ending.
_TYPED_HEADS: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    (
        AnswerType.DATE,
        re.compile(r"(?:年|年代|年份|月份|时期|时代|朝代|世纪|季节|季度|时间|日期|时候)$"),
    ),
    (
        AnswerType.PERSON,
        re.compile(r"(?:人|者|家|员|帝|王|君|后|师|手|长|官|总统|主席|教练|演员|导演|作家|皇帝)$"),
    ),
    (
        AnswerType.PLACE,
        re.compile(
            r"(?:国家|国|城市|城|省|州|县|市|镇|村|岛|洲|地区|地方|位置|地点|港|河|山|湖|海)$"
        ),
    ),
    (
        AnswerType.ORGANIZATION,
        re.compile(
            r"(?:公司|企业|集团|大学|学院|学校|中学|机构|组织|部门|单位|队|俱乐部|银行|医院|党|局|委员会|协会|报社|电视台|媒体|政府|厂)$"
        ),
    ),
)

# Heads that ask for a description rather than a thing (什么特点, 什么作用, 什么影响…).
_DESCRIPTIVE_HEAD = re.compile(
    r"(?:特点|特征|特色|特性|作用|功能|功效|用途|用处|好处|坏处|优点|缺点|优势|劣势|意义|意思|含义|定义|概念"
    r"|影响|变化|区别|差别|不同|关系|联系|背景|经历|过程|情况|内容|结果|后果|表现|症状|危害|伤害|风险|问题"
    r"|目的|目标|任务|职责|职能|责任|措施|政策|规定|要求|条件|原则|方法|方式|手段|办法|途径|举措|做法"
    r"|贡献|成就|成绩|评价|反应|决定|变故|活动|工作|职务|职位|地位|角色|性质|状态|结构|组成|构成|原理|机制"
    r"|味道|样子|外观|习性|性格|注意事项|规律|趋势|前景|理念|思想|观点|主张|理由|根据|依据|记录)$"
)

# What another name of a thing is asked with: the noun asked about (别名是什么, 哪个简称) or the
# verb before the question word (又称什么, 被称之为什么, 更名为什么).
_ALIAS_HEAD = re.compile(
    r"(?:别名|别称|简称|全称|原名|旧名|旧称|古称|俗名|俗称|学名|英文名称?|英文全称|英文|中文名称?|外号|绰号"
    r"|昵称|艺名|笔名|字|号|谥号|庙号|代号|又名)"
)
_ALIAS_VERB = re.compile(
    r"(?:(?:又|也|亦|还|俗|简|古|旧|别|通|统|原|或)被?(?:称|名|叫)(?:之?为|作|做)?|被?称之?为|称作|叫做"
    r"|(?:改|更)名为?|改称)$"
)
# A person's title right before 叫 / 是 + 什么: the question asks for the person's name.
_PERSON_TITLE = re.compile(
    r"(?:长|主任|书记|经理|主席|总统|总理|委员|代表|老板|作者|导演|主持人|创始人|负责人|发言人|老师|先生|女士|教练)"
    r"(?:的名字|名字)?(?:叫做?|是|名叫|姓)$"
)
# After 多久 / 多长时间, an event that completes something: the question asks when it happens.
_COMPLETION = re.compile(
    r"(?:能|可以|才能?|就|会|将|要|可|才可以)?"
    r"(?:通车|建成|完工|竣工|开通|投用|投入使用|投产|运营|落成|开工|上线|开业|开放|通高铁|通地铁)"
)
_RATE = re.compile(r"(?:率|比例|比重|占比|百分比)")
# 什么是X / X是什么 / X指的是什么 with X a bare term: the question asks for X's definition. A term
# with 的 names an attribute (瓦士本市的主街道是什么 asks for a thing, not a definition).
_DEFINITION = re.compile(
    r"(?:什么是|啥是|何为|何谓)(?P<after>[^的，,；;]{1,20})"
    r"|(?P<before>[^的，,；;]{1,20}?)(?:是什么东西|是什么意思|是什么|是啥|是指什么|指的是什么|指什么)"
)
# A measure word ending the question word (哪几条, 哪个) counts what follows: one character can
# be the noun asked about (哪几条河 → 河).
_MEASURE_WORDS = frozenset("个种类家所座条项部只支款本首位处件名样")
_QUOTES = "“”‘’「」『』\"'"
_NOT_TERM_START = re.compile(r"^(?:这|那|它|他|她|其|该|此)")

# Words that contain a question word's characters without asking anything.
_NOT_QUESTION_WORDS = frozenset(
    "几乎 几何 几经 几近 几度 茶几 任何 何况 何必 何等 无论如何 哪怕".split()
)

# A word starting with a function character is not a noun asked about (什么/为食, 什么/来).
_NOT_HEAD_START = frozenset("为是来去了过着的得地在于和与就都也还又被把将给对从向让")

_TRAILING = "？?。.!！~～…，,；; \t\r\n　"

# Function words: never the noun a question word asks about, nor the noun before the copula it
# follows (这是什么). Chinese only, as both nouns must be Chinese characters.
_FUNCTION_WORDS = frozenset(
    """的 了 是 在 和 与 及 或 也 都 就 还 又 而 并 被 把 将 由 于 为 以 从 对 向 到 给 让
    这 那 其 该 此 之 所 等 着 过 呢 吗 么 啊 吧 呀 地 得 个 上 下 中 里 内 有 要 会 能 可 可以
    一 一个 一些 请问 请 告诉 我 我们 你 你们 知道 想 问 是否 曾 已 已经 主要 大约 大概 约 共
    之后 以后 以前 之前 时 年间 当时 目前 现在""".split()
)


@dataclass(frozen=True)
class QuestionAnalysis:
    """A question's question word and what it asks for; offsets index the normalised question."""

    text: str  # the question, trimmed of white space and final punctuation, in Chinese word order
    answer_type: AnswerType
    wh_start: int  # span of the question word (with its unit / head noun); both len() when none
    wh_end: int
    unit: str  # unit a number question asks for (多少分钟 → 分钟), "" when none


@lru_cache(maxsize=1)
def _default_tokenizer() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def _word_starts(words: list[str]) -> set[int]:
    starts, position = set(), 0
    for word in words:
        starts.add(position)
        position += len(word)
    return starts


def _word_at(words: list[str], offset: int) -> str:
    position = 0
    for word in words:
        if position <= offset < position + len(word):
            return word
        position += len(word)
    return ""


def _find_question_word(
    normalized: str, words: list[str]
) -> tuple[AnswerType, re.Match[str]] | None:
    starts = _word_starts(words)
    bare_he: tuple[AnswerType, re.Match[str]] | None = None
    for answer_type, pattern in _COMPILED:
        for match in pattern.finditer(normalized):
            word = _word_at(words, match.start())
            # A question word starts a jieba word (许多高校 is not 多高) and is not 几乎 / 哪怕.
            if match.start() not in starts or word in _NOT_QUESTION_WORDS:
                continue
            if match.group() == "何":
                # A lone 何 is also a surname (何皇后的谥号是什么): it asks only when nothing
                # else in the question does (位于何省).
                bare_he = bare_he or (answer_type, match)
                continue
            if match.group() == "为什么" and _VERB_WITH_WEI.search(normalized, 0, match.start()):
                # 更名为什么 / 称为什么 ask for a name, not a reason: the question word is 什么.
                return AnswerType.ENTITY, re.compile("什么").match(normalized, match.start() + 1)
            return answer_type, match
    return bare_he


def _chinese_order(text: str) -> str:
    """``text`` with a leading English question phrase put as Chinese at the end."""
    normalized = normalize(text)  # same length as text: offsets carry over
    for pattern, chinese in _ENGLISH_QUESTION:
        match = pattern.match(normalized)
        if match is None:
            continue
        rest = text[match.end() :].strip()
        if not rest:
            return text
        # "What is X的长度": the attribute says what is asked; 是什么 would only blur it.
        return rest if _attribute_asked(normalize(rest)) is not None else rest + chinese
    return text


def _attribute_asked(normalized: str) -> tuple[AnswerType, re.Match[str]] | None:
    """The attribute a keyword question ends with (长辽四通高铁辽源段长度, 辽源高铁站的位置)."""
    for answer_type, pattern in _ATTRIBUTE_ENDING:
        match = pattern.search(normalized)
        if match is not None:
            return answer_type, match
    return None


def _typed_head(head: str) -> AnswerType | None:
    """The type whose head ending is the longest match (国家 is a place, though 作家 is a person)."""
    best: tuple[int, AnswerType] | None = None
    for answer_type, pattern in _TYPED_HEADS:
        found = pattern.search(head)
        if found and (best is None or len(found.group()) > best[0]):
            best = (len(found.group()), answer_type)
    return best[1] if best else None


def _following_word(words: list[str], end: int) -> str:
    """The jieba word that starts at ``end`` ("" when ``end`` is inside a word or at the end)."""
    position = 0
    for word in words:
        if position == end:
            return word
        position += len(word)
    return ""


def _copula_subject(words: list[str], wh_start: int) -> str:
    """The noun right before a 是 / 为 / 叫 that ends at the question word (核心城市 in
    …的核心城市是哪个, 别称 in …的别称叫什么), "" when the question word does not follow one."""
    position, previous = 0, ("", "")
    for word in words:
        if position == wh_start:
            break
        previous = (previous[1], word)
        position += len(word)
    noun, copula = previous
    if (
        copula not in ("是", "为", "叫", "叫做")
        or not re.fullmatch(r"[\u4e00-\u9fff]{1,6}", noun)
        or noun in _FUNCTION_WORDS
    ):
        return ""
    return noun


def _head_noun(words: list[str], end: int, counted: bool = False) -> str:
    """The noun a 什么 / 哪个 / 哪些 asks about: the next jieba word, or the next two when only
    the pair names a kind of thing (哪家/漫画/公司 → 漫画公司). After a measure word (``counted``:
    哪几条 / 哪个) a single character is a noun too (哪几条河 → 河)."""
    first = _following_word(words, end)
    shortest = 1 if counted else 2
    if (
        not re.fullmatch(rf"[\u4e00-\u9fff]{{{shortest},4}}", first)
        or first in _FUNCTION_WORDS
        or first[0] in _NOT_HEAD_START
    ):
        return ""
    second = _following_word(words, end + len(first))
    pair = first + second
    if re.fullmatch(r"[\u4e00-\u9fff]{2,6}", pair) and _typed_head(pair) and not _typed_head(first):
        return pair
    return first


def _refine(
    answer_type: AnswerType,
    match: re.Match[str],
    normalized: str,
    words: list[str],
    wh_start: int,
    wh_end: int,
) -> tuple[AnswerType, str, int]:
    """Sharpen a question word's type with what surrounds it.

    The noun it asks about (哪个学校 → organisation, 什么特点 → description), a title before 叫什么
    (a person), the unit after 多少 (几户; 多少钱 → 元; 普及率…多少 → %). Returns the type, the
    unit and the question word's new end, which takes in the noun and the unit.
    """
    head = match.groupdict().get("head") or ""
    unit = ""
    if answer_type in (AnswerType.ENTITY, AnswerType.LIST) and not head:
        head = _head_noun(words, wh_end, counted=match.group()[-1] in _MEASURE_WORDS)
        wh_end += len(head)
    if answer_type in (AnswerType.ENTITY, AnswerType.LIST) and head:
        answer_type = _typed_head(head) or answer_type
    if re.fullmatch(r"哪[一两二三四五六七八九十几]?家", match.group()) and answer_type in (
        AnswerType.ENTITY,
        AnswerType.LIST,
        AnswerType.PLACE,
    ):
        # 家 counts firms, hospitals and schools: 哪两家国家区域医疗中心 asks for organisations,
        # though the word after it (国家) names a place.
        answer_type = AnswerType.ORGANIZATION
    subject = ""
    if answer_type is AnswerType.ENTITY and not head:
        subject = _copula_subject(words, wh_start)
    if len(subject) > 1:
        # X的核心城市是哪个 asks for a place, X的作用是什么 for a description: the noun before
        # 是 says what the bare question word stands for.
        answer_type = _typed_head(subject) or answer_type
    if answer_type is AnswerType.ENTITY and (
        _DESCRIPTIVE_HEAD.search(head or subject) or match.group() == "什么样"
    ):
        answer_type = AnswerType.DESCRIPTION
    elif (
        answer_type is AnswerType.ENTITY
        and head in ("", "名字", "姓名")
        and _PERSON_TITLE.search(normalized, 0, wh_start)
    ):
        answer_type = AnswerType.PERSON  # 四平市长叫啥 / 市委书记叫什么名字: a name
    elif answer_type is AnswerType.ENTITY and (
        _ALIAS_HEAD.fullmatch(head or subject)
        or (not head and _ALIAS_VERB.search(normalized, 0, wh_start))
    ):
        answer_type = AnswerType.ALIAS  # 别名是什么 / 又称什么: another name, after 又名 / 别称…
    if answer_type is AnswerType.NUMBER and re.match(r"第|多少|几", match.group()):
        unit = re.sub(r"^(?:第多少|第几|多少|几)", "", match.group())
        if unit and wh_end < len(normalized) and wh_end not in _word_starts(words):
            # A unit character that starts a longer word belongs to it: 多少种子 asks for an
            # amount of seeds, not for a count of kinds (种).
            wh_end, unit = wh_end - len(unit), ""
        if not unit:
            following = _following_word(words, wh_end)
            if re.fullmatch(_UNIT, following):
                unit, wh_end = following, wh_end + len(following)
            elif following == "钱":
                unit, wh_end = "元", wh_end + 1  # 多少钱: an amount of money
    if answer_type is AnswerType.NUMBER and not unit and _RATE.search(normalized, 0, wh_start):
        unit = "%"  # 普及率只有多少 / 占比是多少: a percentage
    if answer_type is AnswerType.DURATION and _COMPLETION.match(normalized, wh_end):
        answer_type = AnswerType.DATE  # 高铁多久通车 asks when it opens (“十五五”末期)
    return answer_type, unit, wh_end


def analyze_question(question: str, tokenizer: jieba.Tokenizer | None = None) -> QuestionAnalysis:
    """Find the question word of ``question``, the answer type it asks for and its unit.

    ``tokenizer`` is a ready ``jieba.Tokenizer`` (e.g. one with the corpus terms added); without
    one a private default tokenizer is built once per process and never changed.

    Raises:
        QuestionError: the question is empty or only punctuation.
    """
    text = question.strip().rstrip(_TRAILING).strip()
    if not any(char.isalnum() for char in text):
        raise QuestionError("the question is empty or only punctuation; ask something in words")
    text = _chinese_order(text)
    normalized = normalize(text)
    words = (tokenizer if tokenizer is not None else _default_tokenizer()).lcut(normalized)

    found = _find_question_word(normalized, words)
    unit = ""
    unworded = _attribute_asked(normalized) if found is None else None
    if unworded is not None:
        answer_type, match = unworded
        wh_start, wh_end = match.span()
    elif found is None:
        answer_type = AnswerType.YESNO if _YESNO_END.search(normalized) else AnswerType.OTHER
        wh_start = wh_end = len(normalized)
    else:
        answer_type, match = found
        wh_start, wh_end = match.span()
        if match.group().startswith("在"):
            wh_start += (
                1  # 在哪: 在 is the answer's frame (在X), matched like the rest of the question
            )
        answer_type, unit, wh_end = _refine(answer_type, match, normalized, words, wh_start, wh_end)
    definition = _DEFINITION.fullmatch(normalized)
    if definition is not None:
        # Quotes only mark the term (什么是“乡里制”): a quoted pronoun (“这”是什么) is none.
        term = (definition.group("after") or definition.group("before")).strip(_QUOTES)
        if term and not _NOT_TERM_START.match(term):
            answer_type = AnswerType.DEFINITION
    return QuestionAnalysis(
        text=text, answer_type=answer_type, wh_start=wh_start, wh_end=wh_end, unit=unit
    )

"""Extractive reader: ``AnswerExtractor(config).extract(question, hits) -> Answer | None``.

The answer is always a span copied from a passage, never generated. Steps:

1. Rank the sentences of the hits by how much of the question they contain: character bigrams
   (latin words and digit runs whole) of the normalised question found in the normalised
   sentence, each question word weighted by its self-information in jieba's dictionary, less
   when it occurs in many of the sentences (the topic) and more when it stands next to the
   question word; words found earlier in the same passage give some credit, and so do characters
   of the words near the question word found on their own (名字 ↔ 得名), and the retrieval rank a
   little. For a definition question (什么是X) the sentence that defines X (opens with X
   or puts a copula after it) is preferred.
2. In the best few sentences, collect candidate spans. Mainly *slots*: a Chinese question is
   usually its answer sentence with the answer replaced by the question word, so a clause whose
   left neighbour matches the words just before the question word and whose right neighbour
   matches the words just after it is the answer (``《战国无双3》是由哪两个公司合作开发的`` ↔
   ``…是由光荣和ω-force合作开发的``). Also the clauses just before and after the matched stretch
   (inverted sentences, definitions) and, when a date, number or name is asked for, every such
   expression of the sentence, framed by its distance to the matched words (farther for words
   far from the question word in the question).
3. Clean each candidate (punctuation, copulas, half words, a preposition before a name, a title
   cut in half), narrow it to the date or number asked for, check names with jieba's
   part-of-speech tags (a name of the question's own is no answer; the words after a name that
   go on with the sentence are cut off), drop candidates that are only pronouns or function
   words (它, 但与, a lone 在), and pick the best by sentence rank, framing and type agreement;
   for a date or number question, a sentence holding one answers with one.
   Why / how / yes-no / description / definition questions get the sentence.

The confidence ``score`` in [0, 1] combines how much of the question the passage covers around
the answer, how well the span is framed and whether it has the expected type, and is lowered for
the marks of an on-topic question the passages cannot answer: a name (or year) of the question
missing from the passages, the noun next to the question word (票价, 全长) missing from the
answer's sentence, no expression of the asked type (or a list of no names of the asked kind), a
passage about another city than the question names (which also ranks lower). Callers compare
it with ``Config.answer_min_score``. Questions asking for several things (哪些 / 哪几条河) prefer
enumerations (X、Y和Z), taken whole when names are asked for. ``None`` means the passages share too little with the question
(or there were none, or the question has no words to look for). The constants below were tuned
on the even-numbered CMRC 2018 trial questions (``benchmarks/reader_cmrc.py``); the odd-numbered
ones are held out.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import jieba.posseg

from rag.config import Config
from rag.models import Answer, Hit, Sentence
from rag.normalize import normalize
from rag.question import STOPWORDS, AnswerType, QuestionAnalysis, analyze_question
from rag.segmentation import split_sentences
from rag.tokenization import pos_tagger_with_words, user_dict_entries

# --- scoring constants ---------------------------------------------------------------------------
_COMMON_WORD_BITS = 4.0  # self-information (nats) a word needs before it carries weight
_STOPWORD_WEIGHT = 0.3
_TOPIC_DAMPING = 3.0  # exponent on the sentence-frequency discount of a question word
_NEAR_QUESTION_WORD_BOOST = 2.0  # extra weight of the words right next to the question word
_CONTEXT_CREDIT = 0.6  # share of credit for question words found earlier in the passage
# Share of credit for a character of a question word found only on its own in the sentence: the
# sentence often shortens the word (身体 ↔ 体呈银灰色, 叶子 ↔ 叶为披针形, 名称 ↔ 得名).
_CHAR_CREDIT = 0.15
_RANK_PENALTY = 0.02  # per retrieval rank
# A passage retrieval scores at less than _SCORE_GAP_FREE of the first loses _SCORE_GAP_PENALTY
# per share of the first score it falls further short: one far below the first rarely holds the
# answer, one close to it often does. Hybrid ranking (benchmarks/seed_eval.py, cmrc.py): no
# penalty → seed EM 0.674, CMRC F1 0.543; 2 beyond 0.5 → 0.674, 0.551. Penalising every shortfall
# (1 from 0) reaches CMRC 0.558 but takes answers from close second passages: seed 省发改委主任是谁
# → 李平 and 煤矿塌陷区面积 → 20平方公里 are lost.
_SCORE_GAP_FREE = 0.5
_SCORE_GAP_PENALTY = 2.0
_FRAME_WEIGHT = 0.4  # share of the choice decided by how well a span is framed
_TYPE_WEIGHT = 0.1  # … and by type agreement, for questions of a loose type
_STRONG_TYPE_WEIGHT = 0.3  # … for dates, numbers and names
_TYPED_FRAME = 0.5  # framing of a typed expression right next to the matched words
_QUESTION_GAP_WEIGHT = 1.0  # distance added per question character between a match and the wh-word
_STRAY_SCALE = 12.0  # question weight inside a span that halves its framing
# Below this share of the question's weight, the passages are about something else.
_MIN_COVERAGE = 0.2
_SLOT_BONUS = 0.3  # ranking bonus of a sentence holding the question word's slot (_frames_slot)
_SLOT_FRAME = 3  # question characters each side of that slot must match
# An enumeration of the noun asked for (哪几个城市 ↔ 长春市、吉林市、四平市、辽源市4个城市) gets
# the same bonus where the sentence itself holds this share of the question's weight (a list of
# 龙头企业 in a sentence about something else holds 0.30 of it, the seed lists 0.72–0.98).
_LIST_COVERAGE = 0.5
_DEFINING_BONUS = 0.5  # ranking bonus of a sentence that defines the term a question asks about
_MAX_SLOT = 20  # characters a slot between the question word's neighbours may hold
_TAGGED_SENTENCES = 2  # best sentences whose words are tagged for name questions
_UNTAGGED_LIST = 0.25  # type agreement of a list with no name of the asked kind, per list sureness

# Confidence: what an on-topic question the passages do not answer looks like.
_MISSING_NAME_FACTOR = 0.5  # per name of the question found in no passage
# Ranking and confidence factor of a sentence about another place than the question names, or
# from another document than the one whose title it names.
_ELSEWHERE_FACTOR = 0.5
_REGION_SUFFIXES = frozenset("省市县州")
_FOCUS_WEIGHT = 0.5  # share of the score lost when the words next to the question word are missing
_FOCUS_REACH = 6  # characters before the question word within which its left neighbour counts
_UNTYPED_FACTOR = 0.4  # a date / number / name / list question answered with no such expression
_NAME_FLAGS = frozenset({"nr", "nrfg", "nrt", "ns", "nsf", "nt", "nz", "eng"})
_LATIN_WORD = re.compile(r"[a-z][a-z0-9]*")
_TITLE_QUALIFIER = re.compile(r"\s*[(（]")  # 格斗天王 (电视剧): the name is what comes before

# --- text classes ------------------------------------------------------------------------------
_CLAUSE_BREAK = frozenset("，,；;：:。！？!?\n")
_EDGE_JUNK = " \t\u3000，,；;：:。！？!?、…—-·"
_OPENERS = "“‘「『《（(【〈"
_CLOSERS = "”’」』》）)】〉"
# Marks around a title or a quoted name, which an answer takes whole (《列王纪上》, 「甜葫芦」).
_TITLE_MARKS = (("《", "》"), ("「", "」"), ("『", "』"), ("“", "”"), ("〈", "〉"))
_MAX_TITLE = 20  # characters of a title or name an edge may be moved over to complete it
_LATIN_OR_DIGITS = re.compile(r"[a-z0-9]+")
# Prepositions and copulas that frame an answer on their own (由谁 ↔ 由X, 在哪里 ↔ 在X).
_FRAME_WORDS = frozenset("以在由被为是于从向给对把将和与跟同往到叫称")
_COPULA = re.compile(r"[，,]?(?:是|为|乃|系|即|指|称为|叫做?)")
_TRAILING_COPULA = re.compile(r"(?:就是|便是|是|为|乃|即|称为|叫做?)$")
_LEADING_COPULA = re.compile(r"(?:是|为|乃|系|即|叫做|叫|称为|称)")
# Copulas, aspect particles and a bare 一个 / 一种 before an answer
# (是一座古典巴洛克建筑 → 古典巴洛克建筑).
_LEADING_FILLER = re.compile(
    r"(?:是|为|乃|系|即|叫做|叫|称为|称|了|着|过)?(?:一[个种座位名家所条项部只支件本首])?"
)
# Prepositions and conjunctions that open a clause before a name (与长春工程学院, 位于嘉义市).
# Words after which a sentence gives another name (又名X, 别称为X, 原名X, 字玉汝), for an alias
# question; a question asking for an English name is answered by a run of Latin script.
_ALIAS_MARKER = re.compile(
    r"(?:又名|别名|别称|又称|也称|亦称|俗称|俗名|一名|又叫|也叫|简称|全称|称为|称作|称之为|叫做|亦作|又作|或称"
    r"|通称|统称|原名|原称|旧称|旧名|古称|古名|曾名|曾用名|(?:改|更)名为?|改称|学名|谥号|庙号|艺名|笔名"
    r"|绰号|外号|昵称|代号|字|号)(?:为|作|做|是)?[：:]?\s*"
)
_ALIAS_END = frozenset("，,。；;\n")
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9 .&'’-]*[A-Za-z0-9.]")
_ENGLISH_ASKED = re.compile(r"英文|英语")
_LEADING_PREPOSITION = re.compile(r"(?:位于|在|于|与|和|由|对|自|从|向|如|及|据|给|跟|同)")
# Pronouns, conjunctions and framing words: a span made only of these (它, 但与, 史称) answers
# nothing; the slot's real filler is elsewhere in the sentence.
_FILLER_WORDS = frozenset(
    """它 它们 其 他 她 他们 她们 该 此 这 那 这些 那些 这个 那个 本 但 但是 不过 而 而且 然而 因此 所以
    于是 并且 以及 以下 如下 下列 称为 史称 所谓 叫做 称 分别 即 并 亦 则 却 仍 曾经 已 后来 其中 当中 之一
    包括 例如 如 一种 一个 一般 通常""".split()
)
_DEFINING_COPULA = re.compile(
    r"[”」』》\"]?(?:\s*[（(][^（()）]{0,40}[）)])?[，,]?\s*(?:就是|便是|是|为|指|即|乃|系|也称|又称|或称|简称)"
)
# Between the items of an enumeration (梅花鹿、蛋品、食用菌 / 大梨树河、太平河和小仙人河).
_ITEM_SEPARATOR = re.compile(r"、|以及|和|及|与|或")
# What follows the last item without belonging to it (食用菌|三大特色品类, 辽源|三市, 中国一汽|等).
_ITEM_TAIL = re.compile(r"等|在内|的|[0-9一二两三四五六七八九十]+[个大项种家座条所位类处名件市县区]")
_LIST_COUNT = re.compile(r"(?<=[^、，,])[0-9一二两三四五六七八九十]+[个大项种家座条所位类处名件]$")
_MAX_ITEM = 12  # characters; a longer stretch between separators is no list item
_NON_CJK_RUN = re.compile(r"[^\u4e00-\u9fff\s，,、；;。]+")
_NAME_JOINERS = frozenset({"·", "‧", "•", "-", "－"})
# What an organisation's name ends with; jieba tags few of them nt (国家发展和改革委员会 is
# 国家|发展|和|改革|委员会, all common words).
_ORG_SUFFIX = re.compile(
    r"(?:委员会|联合会|办公室|研究院|研究所|检察院|法院|政府|公司|集团|银行|大学|学院|学校|中学|小学|医院"
    r"|协会|学会|基金会|电视台|报社|出版社|俱乐部|[委局厅署办部])$"
)
_NOT_ORG = frozenset("内部 外部 全部 局部 干部 东部 西部 南部 北部 中部 头部 底部 顶部 腹部 背部".split())
_ORG_WORD_TAGS = frozenset({"n", "nz", "ns", "nsf", "nt", "vn", "j", "nr", "nrt", "b", "eng"})
_ORG_JOINERS = frozenset("和与及")

# --- what typed answers look like (on normalised text) -----------------------------------------
_NUM = r"(?:[0-9]+(?:[.,][0-9]+)*|[零〇一二两三四五六七八九十百千万亿半几数]+)"
_CLASSIFIERS = (
    "个位名次届座种项所家条人户只头匹艘架支枚篇首集期层间本册张场辆台件部份套块片页字节站班批股类门处成"
)
_UNIT_WORDS = (
    "平方公里|平方千米|平方米|平方公尺|公尺|公里|千米|厘米|毫米|公分|公顷|公斤|千克|美元|欧元|英镑|日元|港元|元|人次|辆次|场次|架次|"
    "小时|分钟|秒钟|个月|周岁|岁|年|天|日|月|周|秒|倍|米|吨|克|斤|亩|英里|英尺|英寸|磅|度|%|‰|"
    "(?:km²|m²|km|cm|mm|kg|mil|m|g|t)(?![a-z0-9])"
)
_MEASURE = rf"(?:[万亿千百]{{0,2}}(?:{_UNIT_WORDS}|[{_CLASSIFIERS}])|[万亿]{{1,2}})"
# 81.6公里, 半个多小时, 一个半小时, 4A级, 1.35万亿元, 300余人, 七成
_QUANTITY = (
    rf"{_NUM}(?:个(?=[余多半]?(?:小时|月|星期|钟头|工作日)))?(?:余|多|(?<=个)半)?"
    rf"(?:{_MEASURE}|[a-z](?=级))?级?"
)
_NUMBER_PREFIX = (
    r"(?:约为|约|大约|近|将近|超过|超|逾|共|仅|只有|不到|不足|至少|最多|第"
    r"|每[^\s，,。；]{0,4}?)?[±]?"
)
_QUALIFIER = re.compile(_NUMBER_PREFIX)
_NUMBER = re.compile(
    rf"{_NUMBER_PREFIX}(?:{_NUM}\s*[:：比]\s*{_NUM}"  # a ratio, 1：7
    rf"|{_QUANTITY}(?:\s*(?:[-~～—至到]|和|或)\s*{_QUANTITY})?(?:以上|以下|以内|之内|左右|内|多)?)"
)
_DIGIT = re.compile(r"[0-9]")
# A year is in digits or spelt digit by digit (二〇二五年); 三年 / 二十年 count years (三年攻坚行动)
# unless an era name comes first (正德五年（1510年）, see _ERA).
_DATE_PART = (
    r"(?:(?:公元前?|西元)?(?:[0-9]+|[零〇一二三四五六七八九]{2,}|元)年代?(?:初|底|末|中|前|后|以来|以后|以前)?"
    r"|[0-9一二三四五六七八九十]+(?:\s*[至到~～-]\s*[0-9一二三四五六七八九十]+)?月份?(?:[0-9一二三四五六七八九十]+[日号])?"
    r"(?:[上中下]旬|初|底|末)?"
    r"|[0-9一二三四五六七八九十]+[日号]"
    r"|[0-9一二三四五六七八九十]+世纪(?:[0-9]+年代)?(?:初|末|中叶|初期|中期|末期)?"
    r"|(?:第?[一二三四1-4])季度|[上下]半年|年内|年底|年初|年末"
    r"|今年|去年|明年|前年|后年|近年来?|本月|上月|下月|今天|明天|昨天|当天|届时"
    r"|[春夏秋冬]季|[春夏秋冬]天|上午|下午|晚上|凌晨|中午|早上"
    r"|[“\"]?[一二三四五六七八九十]+五[”\"]?(?:时期|期间|末期|初期|中期|末|初|期))"
)
# An era name (永禄, 正德) only counts before a year that a western year in brackets follows.
_ERA = r"(?:[\u4e00-\u9fff]{2}(?=(?:元|[0-9一二三四五六七八九十]+)年\s*[（(]))"
_PAREN = r"(?:\s*[（(][^（()）]{1,14}[）)])"
_DATE = re.compile(
    rf"(?:{_ERA}(?:[0-9零〇一二三四五六七八九十]+|元)年|{_DATE_PART}){_PAREN}?(?:\s*(?:[至到\-—~～及和、]|以后|以前|之前|之后)?\s*{_DATE_PART}{_PAREN}?)*"
)
_TIME_UNITS = re.compile(r"(?:年|个月|月|周|星期|天|日|小时|钟头|分钟|秒)")
_PHYSICAL_UNIT = re.compile(
    r"(?:米|公里|里|厘米|毫米|公分|平方|公顷|亩|吨|斤|克|磅|英里|英尺|英寸|岁|年|月|天|小时|分钟|秒|%|‰|度|倍|元|层|人"
    r"|km|cm|mm|kg|m|g|t)"
)
_DIMENSION = re.compile(r"多[大高长重远深宽快厚]")
_PERSON_TAGS = frozenset({"nr", "nrfg", "nrt"})
_PLACE_TAGS = frozenset({"ns", "nsf"})
_ORG_TAGS = frozenset({"nt"})
# jieba part-of-speech tags of what each name question asks for (谁 may be an organisation).
_NAME_TAGS = {
    AnswerType.PERSON: _PERSON_TAGS | _ORG_TAGS,
    AnswerType.PLACE: _PLACE_TAGS,
    AnswerType.ORGANIZATION: _ORG_TAGS | _PLACE_TAGS,
}
# A person's title in the question (谁是省发改委主任, 四平市长叫啥) asks for a person's name, though
# 谁 alone may ask for an organisation (谁发明了…).
_PERSON_TITLE = re.compile(
    r"(?:[市省县区校院局部厅处科所站村镇会队社行]长|董事长|主任|书记|经理|主席|总统|总理|委员|代表|老板"
    r"|作者|导演|主持人|创始人|负责人|发言人|老师|教练)"
)
# A date question asking for a year (哪一年, 何年, 什么年份) wants a date that names one.
_YEAR_ASKED = re.compile(r"哪一?年|何年|年份")
# First letters of jieba tags that cannot continue a name: verbs and numerals.
_NOT_NAME_TAIL = frozenset("vm")
# First letters of the tags of function words (通过, 专门, 而且, 这里) that no name goes on with.
_FUNCTION_TAGS = frozenset("pdcr")
_NUMERIC = frozenset({AnswerType.NUMBER, AnswerType.DURATION})
# Questions answered by a name or a noun phrase.
_NAMED = frozenset({AnswerType.ENTITY, AnswerType.LIST, *_NAME_TAGS})
_DATED_OR_NUMERIC = frozenset({AnswerType.DATE, *_NUMERIC})
_STRONGLY_TYPED = frozenset({*_DATED_OR_NUMERIC, *_NAME_TAGS, AnswerType.ALIAS})
# Answered with the whole sentence: explanations, and lists not spelt out as an enumeration.
_EXPLANATORY = frozenset(
    {
        AnswerType.REASON,
        AnswerType.MANNER,
        AnswerType.DESCRIPTION,
        AnswerType.DEFINITION,
        AnswerType.YESNO,
        AnswerType.LIST,
        AnswerType.OTHER,
    }
)

_Word = tuple[int, int, str]  # start, end (offsets into the passage text), part-of-speech tag


@dataclass(frozen=True)
class _Query:
    """The question prepared for matching: per-character weights and the keys to look up."""

    analysis: QuestionAnalysis
    weights: tuple[float, ...]  # per character of the normalised question; 0 = not looked for
    total: float
    keys: dict[str, tuple[int, ...]]  # bigram, single-character word or latin/digit run → starts
    enumeration: re.Pattern[str] | None  # see _enumeration_of


@dataclass(frozen=True)
class _SentenceMatch:
    hit_rank: int
    sentence: Sentence  # document offsets
    local_start: int  # offsets into the hit's passage text
    local_end: int
    coverage: float  # share of the question's weight found in the sentence or the passage before
    score: float  # ranking score: focused match, context credit, retrieval rank
    elsewhere: bool = False  # about another place than the one the question names


@dataclass(frozen=True)
class _Run:
    """A stretch of sentence characters that match question characters (question positions)."""

    start: int
    end: int
    positions: frozenset[int]


@dataclass(frozen=True)
class _Span:
    start: int  # offsets into the passage text
    end: int
    framing: float  # 0–1: how well the question's words frame the span
    typed: float  # 1 has the asked type, 0.6 partly, 0.5 no type asked, 0 type missing


@dataclass(frozen=True)
class _Choice:
    match: _SentenceMatch
    span: _Span
    preference: float


class AnswerExtractor:
    """Finds the shortest span of the hits that answers a question.

    Args:
        config: settings (``answer_passages``, ``reader_sentences``, ``user_dict_terms``).
        user_dict_lines: extra words in jieba's user-dictionary format ``word [freq] [tag]``
            (the corpus's names, places and organisations), so they match and are tagged whole.

    The jieba dictionaries load on first use or on ``warm_up()``; the instance is then only
    read, so one extractor can serve several threads.
    """

    def __init__(self, config: Config | None = None, user_dict_lines: Sequence[str] = ()) -> None:
        self.config = config if config is not None else Config()
        if self.config.answer_passages <= 0:
            raise ValueError(
                "answer_passages must be a positive number of hits, "
                f"got {self.config.answer_passages}"
            )
        if self.config.reader_sentences <= 0:
            raise ValueError(
                f"reader_sentences must be a positive number, got {self.config.reader_sentences}"
            )
        self._user_words = user_dict_entries((*self.config.user_dict_terms, *user_dict_lines))
        self._tagger: jieba.posseg.POSTokenizer | None = None
        self._lock = threading.Lock()
        # Passages come back again and again (a corpus has far fewer sentences than questions it
        # is asked), so each sentence is cut or tagged once; the cache is bounded for big corpora.
        self._cut = lru_cache(maxsize=self.config.reader_cut_cache_size)(self._cut_sentence)

    def warm_up(self) -> None:
        """Load the jieba dictionaries now rather than on the first question."""
        self._pos_tokenizer()

    def _pos_tokenizer(self) -> jieba.posseg.POSTokenizer:
        tagger = self._tagger
        if tagger is not None:
            return tagger
        with self._lock:
            if self._tagger is None:
                self._tagger = pos_tagger_with_words(self._user_words)
            return self._tagger

    # --- entry point ---------------------------------------------------------------------------

    def extract(self, question: str, hits: Sequence[Hit]) -> Answer | None:
        """The best answer span in the first ``config.answer_passages`` hits.

        Returns None when the hits share too little with the question (or there are none, or the
        question has nothing to look for); otherwise an answer whose ``score`` says how sure it is
        (compare with ``Config.answer_min_score``).

        Raises:
            QuestionError: the question is empty or only punctuation.
        """
        tokenizer = self._pos_tokenizer().tokenizer
        analysis = analyze_question(question, tokenizer)
        hits = tuple(hits)[: self.config.answer_passages]
        answer = self._answer(analysis, hits)
        if (recast := analysis.role_recast) is not None:
            # 都市圈的核心是哪个城市 is also read as 都市圈以哪个城市为核心; that reading wins when
            # its sentence says so (以长春为核心). Taking it when it is surer instead lowers CMRC
            # F1 (the 110 such questions: 62.4 → 60.4 F1 points; with the check 62.7).
            question_form, role = recast
            other = self._answer(analyze_question(question_form, tokenizer), hits)
            if other is not None and _states_role(other, role):
                return other
        return answer

    def _answer(self, analysis: QuestionAnalysis, hits: Sequence[Hit]) -> Answer | None:
        """The best answer span for an analysed question, as ``extract`` describes."""
        query = self._prepare(analysis)
        if query.total <= 0 or not hits:
            return None
        texts = [normalize(hit.passage.text) for hit in hits]
        choice = self._choose(query, hits, texts)
        if choice is None or choice.match.coverage < _MIN_COVERAGE:
            return None
        match, span = choice.match, choice.span
        if analysis.answer_type in _EXPLANATORY and not (analysis.plural and span.typed > 0):
            span = _Span(match.local_start, match.local_end, span.framing, span.typed)
        passage = hits[match.hit_rank].passage
        return Answer(
            text=passage.text[span.start : span.end],
            sentence=match.sentence.text,
            doc_id=passage.doc_id,
            source=passage.source,
            passage_id=passage.passage_id,
            start=passage.start + span.start,
            end=passage.start + span.end,
            sentence_start=match.sentence.start,
            sentence_end=match.sentence.end,
            score=round(self._confidence(query, texts, choice), 4),
            answer_type=analysis.answer_type.value,
        )

    def _choose(self, query: _Query, hits: Sequence[Hit], texts: Sequence[str]) -> _Choice | None:
        """The best candidate span of the best-ranked sentences."""
        answer_type = query.analysis.answer_type
        plural = query.analysis.plural and answer_type not in _NUMERIC
        type_weight = (
            _STRONG_TYPE_WEIGHT if answer_type in _STRONGLY_TYPED or plural else _TYPE_WEIGHT
        )
        best: _Choice | None = None
        ranked = _distinct(self._rank_sentences(query, hits, texts), hits)[
            : self.config.reader_sentences
        ]
        for rank, match in enumerate(ranked):
            text = texts[match.hit_rank]
            # Names are tagged in the best sentences only: tagging is the reader's slowest step.
            tagged = answer_type in _NAME_TAGS and rank < _TAGGED_SENTENCES
            words = self._words(text, match, tagged)
            boundaries = frozenset(offset for word in words for offset in word[:2])
            aligned = _open_slots(
                self._alignment(query, text, match.local_start, match.local_end),
                query.analysis.wh_start,
                query.analysis.wh_end,
            )
            spans = [
                _enumerated(text, found, boundaries)
                for found in (
                    query.enumeration.finditer(text, match.local_start, match.local_end)
                    if query.enumeration is not None
                    else ()
                )
            ]
            for candidate in self._candidates(query, text, match, aligned, words):
                span = self._trim(query, text, candidate, boundaries, aligned, match.local_start)
                if plural:
                    span = _listed(text, span, match, words, answer_type in _NAME_TAGS)
                span = self._typed(query, text, span, words)
                if span.end <= span.start:
                    continue
                if answer_type not in _EXPLANATORY and _is_filler(text, span, words, answer_type):
                    continue
                spans.append(self._penalize_stray(query, span, match, aligned))
            if answer_type in _DATED_OR_NUMERIC and any(span.typed > 0 for span in spans):
                # A date or number is easy to recognise: when the sentence has one, a well framed
                # stretch without one (规划|正式|印发 ↔ 去年10月，…正式印发) is not the answer.
                spans = [span for span in spans if span.typed > 0]
            elif plural and answer_type in _NAME_TAGS and any(span.typed > 0.6 for span in spans):
                # Several names asked for (哪几个城市): when the sentence lists such names, one name
                # alone (以长春为核心 ↔ …，联动吉林、四平、辽源三市) is not the answer.
                spans = [span for span in spans if span.typed > 0.6]
            for span in spans:
                preference = match.score * (
                    1.0
                    - _FRAME_WEIGHT
                    - type_weight
                    + _FRAME_WEIGHT * span.framing
                    + type_weight * span.typed
                )
                # Within a sentence, ties go to the shorter span: the answer, not its surroundings.
                if (
                    best is None
                    or preference > best.preference + 1e-9
                    or (
                        abs(preference - best.preference) <= 1e-9
                        and best.match is match
                        and span.end - span.start < best.span.end - best.span.start
                    )
                ):
                    best = _Choice(match, span, preference)
        return best

    # --- confidence ----------------------------------------------------------------------------

    def _confidence(self, query: _Query, texts: Sequence[str], choice: _Choice) -> float:
        """How sure the answer is, in [0, 1].

        The question's coverage around the answer, scaled by how well the span is framed and
        whether it has the asked type, then lowered for what an on-topic question the passages do
        not answer looks like: a name of the question found in none of the passages (哈尔滨 in
        哈尔滨到长春坐高铁要多久), the words next to the question word missing from the answer's
        sentence (票价 in 高铁票价多少钱 ↔ …压缩至30分钟), and no expression of the asked type.
        """
        match, span = choice.match, choice.span
        base = 0.4 + 0.3 * span.framing + 0.3 * span.typed
        tagged, position = [], 0
        for pair in self._pos_tokenizer().cut(query.analysis.normalized):
            tagged.append((position, position + len(pair.word), pair.flag))
            position += len(pair.word)
        sentence = texts[match.hit_rank][match.local_start : match.local_end]
        missing = _missing_names(query.analysis, tagged, texts, texts[match.hit_rank])
        focus = _focus_share(query.analysis, tagged, sentence)
        # Below a partial match (a count in another classifier, 0.6) the span lacks the asked
        # type: no such expression, or a list of no names of the asked kind.
        untyped = span.typed < 0.6 and (
            query.analysis.answer_type in _STRONGLY_TYPED or query.analysis.plural
        )
        score = (
            match.coverage
            * base
            * _MISSING_NAME_FACTOR**missing
            * (1.0 - _FOCUS_WEIGHT * (1.0 - focus))
            * (_UNTYPED_FACTOR if untyped else 1.0)
            * (_ELSEWHERE_FACTOR if match.elsewhere else 1.0)
        )
        return min(1.0, max(0.0, score))

    # --- question side -------------------------------------------------------------------------

    def _word_weight(self, word: str) -> float:
        if word in STOPWORDS:
            return _STOPWORD_WEIGHT
        tokenizer = self._pos_tokenizer().tokenizer
        frequency = tokenizer.FREQ.get(word) or 1
        return max(0.5, math.log(tokenizer.total / frequency) - _COMMON_WORD_BITS)

    def _prepare(self, analysis: QuestionAnalysis) -> _Query:
        """Weigh the question's characters and list the keys to look up in sentences.

        Each character carries its word's weight shared over the word's characters. Inside the
        question word only the noun asked about (什么用途 → 用途) and the dimension of a number
        (多高 → 高) are looked for: they help find the sentence though they frame nothing.
        """
        text = analysis.normalized
        wh_start, wh_end = analysis.wh_start, analysis.wh_end
        hints = set(range(wh_end - len(analysis.head), wh_end)) if analysis.head else set()
        if dimension := _DIMENSION.fullmatch(analysis.wh_word):
            hints.add(wh_start + dimension.start() + 1)
        weights = [0.0] * len(text)
        position = 0
        for word in analysis.words:
            end = position + len(word)
            content = [index for index in range(position, end) if _is_content(text[index])]
            if content:
                weight = self._word_weight(word) / len(content)
                for index in content:
                    if not wh_start <= index < wh_end or index in hints:
                        weights[index] = weight
            position = end
        keys: dict[str, list[int]] = {}
        for match in _LATIN_OR_DIGITS.finditer(text):
            start, end = match.span()
            if end - start > 1 and all(weights[index] > 0 for index in range(start, end)):
                keys.setdefault(match.group(), []).append(start)
        for index in range(len(text) - 1):
            if (
                weights[index] > 0
                and weights[index + 1] > 0
                and _is_cjk(text[index])
                and _is_cjk(text[index + 1])
            ):
                keys.setdefault(text[index : index + 2], []).append(index)
        position = 0
        for word in analysis.words:
            if len(word) == 1 and weights[position] > 0:
                # Single-character words, function words too: 是由 / 在 / 的 frame slots.
                keys.setdefault(word, []).append(position)
            position += len(word)
        return _Query(
            analysis,
            tuple(weights),
            sum(weights),
            {key: tuple(starts) for key, starts in keys.items()},
            _enumeration_of(analysis),
        )

    # --- sentences -----------------------------------------------------------------------------

    @staticmethod
    def _alignment(query: _Query, text: str, start: int, end: int) -> list[set[int]]:
        """For each character of ``text[start:end]`` the question positions it matches.

        Chinese is matched by character bigrams (and single-character question words); latin
        words and digit runs only whole, so ``storm`` does not match ``records``.
        """
        matched: list[set[int]] = [set() for _ in range(end - start)]
        for key, origins in query.keys.items():
            size = len(key)
            whole_run = _is_latin_or_digit(key[0])
            found = text.find(key, start, end)
            while found >= 0:
                if not whole_run or (
                    (found == start or not _is_latin_or_digit(text[found - 1]))
                    and (found + size == end or not _is_latin_or_digit(text[found + size]))
                ):
                    for origin in origins:
                        for offset in range(size):
                            matched[found - start + offset].add(origin + offset)
                found = text.find(key, found + 1, end)
        return matched

    def _rank_sentences(
        self, query: _Query, hits: Sequence[Hit], texts: Sequence[str]
    ) -> list[_SentenceMatch]:
        """All sentences of the hits, best first.

        A question word counts less the more sentences contain it: the article's topic, named in
        the question, is often only 其 / 它 in the answer sentence, while the words next to the
        question word say most about where the answer is; not the noun asked about, which the
        answer often replaces (哪个城市 ↔ 以长春为核心). Words found in the document's title
        count as found in every sentence of it: an article is about its title, and its sentences
        leave that out (体呈淡蓝红色 in the article 黄鳍紫鱼). Words found earlier in the passage
        still give some credit, as the answer sentence often leaves out what the passage is about,
        and so do the characters of words near the question word found alone (叶子 ↔ 叶为…). A
        passage retrieval scores far below the first counts less, and so does a passage of another
        document than the one whose title the question names (_other_titles).
        """
        weights = query.weights
        question = query.analysis.normalized
        wh_start, wh_end = query.analysis.wh_start, query.analysis.wh_end
        shortened = [
            index
            for index, weight in enumerate(weights)
            if weight > 0
            and _is_cjk(question[index])
            and question[index] not in query.keys
            and wh_start - _FOCUS_REACH <= index < wh_end + _FOCUS_REACH
        ]
        titles = [normalize(hit.passage.title) for hit in hits]
        titled = self._in_titles(query, titles)
        found_by_sentence: list[tuple[int, Sentence, int, int, set[int], set[int], bool]] = []
        for rank, (hit, text) in enumerate(zip(hits, texts, strict=True)):
            passage = hit.passage
            for sentence in split_sentences(passage.text, offset=passage.start):
                local_start, local_end = (
                    sentence.start - passage.start,
                    sentence.end - passage.start,
                )
                aligned = self._alignment(query, text, local_start, local_end)
                found = set().union(*aligned)
                # Holds the answer's slot, or lists the names asked for (_SLOT_BONUS).
                slotted = (
                    {wh_start - 1, wh_end} <= found
                    and _frames_slot(aligned, text[local_start:local_end], wh_start, wh_end)
                ) or (
                    query.enumeration is not None
                    and sum(weights[index] for index in found) >= _LIST_COVERAGE * query.total
                    and query.enumeration.search(text, local_start, local_end) is not None
                )
                found |= titled[rank]
                characters = set(text[local_start:local_end])
                alone = {
                    index
                    for index in shortened
                    if index not in found and question[index] in characters
                }
                found_by_sentence.append(
                    (rank, sentence, local_start, local_end, found, alone, slotted)
                )
        count = len(found_by_sentence)
        top_score = max(hit.score for hit in hits)
        shortfall = [
            (top_score - hit.score) / top_score if top_score > 0 else 0.0 for hit in hits
        ]
        frequency = [0] * len(weights)
        for *_, found, _alone, _slotted in found_by_sentence:
            for position in found:
                frequency[position] += 1
        specific = [
            weight
            * (
                (math.log(1.0 + count / max(1, frequency[index])) / math.log(1.0 + count))
                ** _TOPIC_DAMPING
                if count > 1
                else 1.0
            )
            * (
                1.0
                + _NEAR_QUESTION_WORD_BOOST
                * math.exp(-max(wh_start - 1 - index, index - wh_end, 0) / 3.0)
                * (not wh_start <= index < wh_end)
            )
            for index, weight in enumerate(weights)
        ]
        specific_total = sum(specific)
        term = query.analysis.term
        elsewhere_flags = self._elsewhere(
            query.analysis,
            [(rank, texts[rank][start:end]) for rank, _, start, end, *_ in found_by_sentence],
        )
        other_title = _other_titles(question, titles)
        elsewhere_flags = [
            elsewhere or other_title[rank]
            for elsewhere, (rank, *_) in zip(elsewhere_flags, found_by_sentence, strict=True)
        ]
        matches: list[_SentenceMatch] = []
        context: set[int] = set()
        previous_rank = -1
        for found_in_sentence, elsewhere in zip(found_by_sentence, elsewhere_flags, strict=True):
            rank, sentence, local_start, local_end, found, alone, slotted = found_in_sentence
            if rank != previous_rank:
                context, previous_rank = set(), rank
            coverage = sum(weights[index] for index in found | context) / query.total
            focused = sum(specific[index] for index in found) / specific_total
            extra = sum(specific[index] for index in context - found) / specific_total
            shortened_credit = sum(specific[index] for index in alone - context) / specific_total
            score = (
                focused
                + _CONTEXT_CREDIT * extra
                + _CHAR_CREDIT * shortened_credit
                - _RANK_PENALTY * rank
                - _SCORE_GAP_PENALTY * max(0.0, shortfall[rank] - _SCORE_GAP_FREE)
            )
            if slotted:
                score += _SLOT_BONUS
            if term:
                score += _DEFINING_BONUS * _defines(texts[rank], local_start, local_end, term)
            if elsewhere:
                score *= _ELSEWHERE_FACTOR
            matches.append(
                _SentenceMatch(rank, sentence, local_start, local_end, coverage, score, elsewhere)
            )
            context |= found
        matches.sort(key=lambda match: match.score, reverse=True)
        return matches

    def _in_titles(self, query: _Query, titles: Sequence[str]) -> list[set[int]]:
        """For each normalised title, the question positions it holds. Matched by bigrams and
        latin or digit runs only: a title's 以 or 的 says nothing about the sentences."""
        wanted = _Query(
            query.analysis,
            query.weights,
            query.total,
            {key: starts for key, starts in query.keys.items() if len(key) > 1},
            query.enumeration,
        )
        found = {
            title: set().union(*self._alignment(wanted, title, 0, len(title)))
            for title in set(titles)
        }
        return [found[title] for title in titles]

    def _elsewhere(
        self, analysis: QuestionAnalysis, sentences: Sequence[tuple[int, str]]
    ) -> list[bool]:
        """For each ``(hit rank, normalised sentence)``, whether it is about another city, county
        or province than the question names: its passage names another and not all of the
        question's (吉林市开通了多少个… ↔ 辽源已经开通了…63个). A sentence often leaves its
        region out (今年再推动29个…) or names a partner (加强与长春方面深度合作), so the whole
        passage says what it is about.

        Such regions are the dictionary place names the sentences also write with 市 / 省 / 县 /
        州 (辽源 ↔ 辽源市); parks, districts, stations and the common words jieba's dictionary
        tags as places (城市, 满意度) are left out. A region is named by a word that is it, with
        or without the suffix, or opens with it and the suffix (长春市委), not by a name that
        holds it (吉林云校, 吉林启星铝业有限公司).
        """
        tags = self._pos_tokenizer().word_tag_tab
        named, position = set(), 0
        for word in analysis.words:
            if not analysis.wh_start <= position < analysis.wh_end and len(word) > 1:
                named.add(_place_stem(word))
            position += len(word)
        joined = "\n".join(sentence for _, sentence in sentences)
        regions = {
            _place_stem(word)
            for _, sentence in sentences
            for word, _ in self._cut(sentence, False)
            if len(word) > 1
            and tags.get(word) in _PLACE_TAGS
            and any(_place_stem(word) + suffix in joined for suffix in _REGION_SUFFIXES)
        }
        asked = regions & named
        if not asked:
            return [False] * len(sentences)
        about: dict[int, set[str]] = {}
        for rank, sentence in sentences:
            about.setdefault(rank, set()).update(
                region
                for word, _ in self._cut(sentence, False)
                for region in regions
                if _names_region(word, region)
            )
        return [not asked <= about[rank] and bool(about[rank] - asked) for rank, _ in sentences]

    def _words(self, text: str, match: _SentenceMatch, tagged: bool) -> tuple[_Word, ...]:
        """The sentence's jieba words, with part-of-speech tags when ``tagged`` ("" otherwise)."""
        words, position = [], match.local_start
        for word, flag in self._cut(text[match.local_start : match.local_end], tagged):
            words.append((position, position + len(word), flag))
            position += len(word)
        return tuple(words)

    def _cut_sentence(self, sentence: str, tagged: bool) -> tuple[tuple[str, str], ...]:
        """``(word, tag)`` pairs of ``sentence``; tags only when ``tagged`` ("" otherwise).

        Tagging runs jieba's part-of-speech model over the sentence (it finds names such as 王吉
        that plain cutting misses, but costs about a millisecond per 20 characters), so it is
        asked for only where a name may be the answer.
        """
        tagger = self._pos_tokenizer()
        if tagged:
            return tuple((pair.word, pair.flag) for pair in tagger.cut(sentence))
        return tuple((word, "") for word in tagger.tokenizer.cut(sentence))

    # --- candidates ----------------------------------------------------------------------------

    def _candidates(
        self,
        query: _Query,
        text: str,
        match: _SentenceMatch,
        aligned: list[set[int]],
        words: Sequence[_Word],
    ) -> list[_Span]:
        """Candidate answer spans in one sentence, with how well the question frames each."""
        runs = _runs(query, aligned, match.local_start)
        spans = self._slots(query, text, match, runs)
        spans.extend(_outside(query, text, match, runs))
        spans.extend(self._typed_candidates(query, text, match, runs, words, aligned))
        return spans

    @staticmethod
    def _slots(
        query: _Query, text: str, match: _SentenceMatch, runs: Sequence[_Run]
    ) -> list[_Span]:
        """Clauses between a left and a right frame.

        The left frame is a run matching words before the question word, chained leftwards with
        earlier runs matching earlier words, but not across 、 (the items of a list frame their
        own names: 四平市市长陈德明、辽源市市长高飞 answers 四平市长是谁 with 陈德明 only); it is
        worth more the more of the left words it covers and the fewer words it misses next to
        the question word. The right frame mirrors it. A side of the question without words
        (谁获得了… / …是什么) is framed by a clause edge.
        """
        weights = query.weights
        wh_start, wh_end = query.analysis.wh_start, query.analysis.wh_end
        start, end = match.local_start, match.local_end
        left_total = sum(weights[:wh_start])
        right_total = sum(weights[wh_end:])

        def left_frame(i: int) -> float:
            before = {p for p in runs[i].positions if p < wh_start}
            if not before or left_total <= 0:
                return 0.0
            missing = sum(weights[max(before) + 1 : wh_start])
            if _light(weights, before) and left_total >= 1.0:
                # A lone function word frames only right after matched content, or when it is a
                # preposition right before the question word (以什么为食 ↔ 以小鱼为食).
                framing = missing == 0 and text[runs[i].end - 1] in _FRAME_WORDS
                follows = (
                    i > 0
                    and runs[i].start - runs[i - 1].end <= 2
                    and any(p < min(before) for p in runs[i - 1].positions)
                )
                if not framing and not follows:
                    return 0.0
            covered, lowest, edge = set(before), min(before), runs[i].start
            for k in range(i - 1, -1, -1):
                if "、" in text[runs[k].end : edge]:
                    break
                earlier = {p for p in runs[k].positions if p < lowest}
                if earlier:
                    covered |= earlier
                    lowest, edge = min(earlier), runs[k].start
            share = sum(weights[p] for p in covered) / left_total
            return (0.5 + 0.5 * share) / (1.0 + missing / 3.0)

        def right_frame(j: int) -> float:
            after = {p for p in runs[j].positions if p >= wh_end}
            if not after or right_total <= 0:
                return 0.0
            missing = sum(weights[wh_end : min(after)])
            if _light(weights, after) and right_total >= 1.0:
                framing = missing == 0 and text[runs[j].start] in _FRAME_WORDS
                precedes = (
                    j < len(runs) - 1
                    and runs[j + 1].start - runs[j].end <= 2
                    and any(p > max(after) for p in runs[j + 1].positions)
                )
                if not framing and not precedes:
                    return 0.0
            covered, highest, edge = set(after), max(after), runs[j].end
            for k in range(j + 1, len(runs)):
                if "、" in text[edge : runs[k].start]:
                    break
                later = {p for p in runs[k].positions if p > highest}
                if later:
                    covered |= later
                    highest, edge = max(later), runs[k].end
            share = sum(weights[p] for p in covered) / right_total
            return (0.5 + 0.5 * share) / (1.0 + missing / 3.0)

        lefts = [left_frame(i) for i in range(len(runs))]
        rights = [right_frame(j) for j in range(len(runs))]
        open_left = 0.8 if left_total <= 0 else 0.0
        open_right = 0.8 if right_total <= 0 else 0.0
        listed = query.analysis.answer_type in _NAME_TAGS
        spans: list[_Span] = []
        for i in [None, *range(len(runs))]:
            left = open_left if i is None else lefts[i]
            if i is not None and left <= 0:
                continue
            for j in [*range(0 if i is None else i + 1, len(runs)), None]:
                right = open_right if j is None else rights[j]
                if (j is not None and right <= 0) or (left <= 0 and right <= 0):
                    continue
                gap_start = (
                    runs[i].end
                    if i is not None
                    else _clause_start(text, start, runs[j].start if j is not None else end)
                )
                gap_end = runs[j].start if j is not None else _clause_end(text, gap_start, end)
                for piece_start, piece_end in _clauses(text, gap_start, gap_end):
                    # 李平、长春市长顾刚、吉林市长王吉: each item of an enumeration may be the name.
                    items = _items(text, piece_start, piece_end) if listed else []
                    for item_start, item_end in [
                        (piece_start, piece_end),
                        *(items if len(items) > 1 else []),
                    ]:
                        # A frame counts less for each clause or list break between it and the
                        # span; an open side does not fade, the answer runs to the clause edge.
                        framed = left * (
                            0.6 ** _breaks(text, gap_start, item_start) if i is not None else 1.0
                        )
                        framed += right * (
                            0.6 ** _breaks(text, item_end, gap_end) if j is not None else 1.0
                        )
                        spans.append(_Span(item_start, item_end, framed / 2, 0.5))
        return spans

    def _typed_candidates(
        self,
        query: _Query,
        text: str,
        match: _SentenceMatch,
        runs: Sequence[_Run],
        words: Sequence[_Word],
        aligned: list[set[int]],
    ) -> list[_Span]:
        """Every date / number / name of the asked type in the sentence, framed by how close it
        is to the question's matched words (and less for each clause or list break between)."""
        answer_type = query.analysis.answer_type
        start, end = match.local_start, match.local_end
        if query.analysis.plural and answer_type not in _NUMERIC:
            found = [(low, high) for low, high, _ in _enumerations(text, start, end, words)]
        elif answer_type is AnswerType.DATE:
            found = [m.span() for m in _DATE.finditer(text, start, end)]
        elif answer_type in _NUMERIC:
            found = [
                m.span()
                for m in _NUMBER.finditer(text, start, end)
                if _DIGIT.search(m.group()) or re.search(_MEASURE, m.group())
            ]
        elif answer_type in _NAME_TAGS:
            found = _names(query.analysis, text, words, start, end)
        elif answer_type is AnswerType.ALIAS:
            found = _aliases(query.analysis, text, start, end)
        else:
            return []
        wh_start, wh_end = query.analysis.wh_start, query.analysis.wh_end
        # A run also counts the question characters between its words and the question word:
        # the words next to the question word say where the answer is (多少旅客 ↔ 旅客…2000万人次,
        # not 龙嘉机场三期).
        anchors = [
            (
                run.start,
                run.end,
                _QUESTION_GAP_WEIGHT
                * min(max(wh_start - 1 - p, p - wh_end, 0) for p in run.positions),
            )
            for run in runs
            if sum(query.weights[p] for p in run.positions) >= 1.0
        ]
        starts = {word[0] for word in words}
        ends = {word[1] for word in words}
        spans = []
        for span_start, span_end in found:
            if span_start not in starts:
                # A qualifier that ends another word goes (不仅|半个多小时); a number inside a word
                # is none (上半年 holds no 半年).
                qualifier = _QUALIFIER.match(text, span_start, span_end)
                span_start = qualifier.end() if qualifier else span_start
                if span_start not in starts:
                    continue
            if not _DIGIT.search(text, span_start, span_end) and span_end not in ends:
                continue  # 零|部 of 零部件 is no number
            if all(aligned[index - start] for index in range(span_start, span_end)):
                continue  # the question's own words (辽源 in 辽源的高铁站在哪) are no answer
            distance = min(
                (
                    max(anchor_start - span_end, span_start - anchor_end, 0)
                    + 8 * _breaks(text, min(span_end, anchor_end), max(span_start, anchor_start))
                    + gap
                    for anchor_start, anchor_end, gap in anchors
                ),
                default=len(text),
            )
            spans.append(_Span(span_start, span_end, _TYPED_FRAME * math.exp(-distance / 8.0), 0.5))
        return spans

    # --- cleaning and typing -------------------------------------------------------------------

    @staticmethod
    def _trim(
        query: _Query,
        text: str,
        span: _Span,
        boundaries: frozenset[int],
        aligned: list[set[int]],
        origin: int,
    ) -> _Span:
        """Clean a candidate's edges: punctuation, a copula or particle in front, half words.

        ``boundaries`` holds the offsets where a word of the sentence starts or ends; ``aligned``
        the question positions matched by each character of the sentence, which starts at
        ``origin``.
        """
        start, end = _strip(text, span.start, span.end)
        wh_start, wh_end = query.analysis.wh_start, query.analysis.wh_end

        def only(low: int, high: int, side) -> bool:
            return all(
                aligned[index - origin]
                and all(side(p) or wh_start <= p < wh_end for p in aligned[index - origin])
                for index in range(low, high)
            )

        # An edge inside a word: complete the word when its other part repeats question words from
        # the far side (长春工程|学院 with 学院 from the left context); otherwise the span took half
        # of a matched word (收藏|家) and drops it.
        if start not in boundaries:
            word_start = max((offset for offset in boundaries if offset < start), default=start)
            snapped = min((offset for offset in boundaries if start < offset < end), default=start)
            if only(word_start, start, lambda p: p >= wh_end):
                start = word_start
            elif any(_is_content(char) for char in text[snapped:end]):
                start = snapped
        if end not in boundaries:
            word_end = min((offset for offset in boundaries if offset > end), default=end)
            snapped = max((offset for offset in boundaries if start < offset < end), default=end)
            if only(end, word_end, lambda p: p < wh_start):
                end = word_end
            elif any(_is_content(char) for char in text[start:snapped]):
                end = snapped
        lead = _LEADING_COPULA if query.analysis.answer_type in _NUMERIC else _LEADING_FILLER
        if (filler := lead.match(text, start, end)) and sum(
            map(_is_content, text[filler.end() : end])
        ) >= 2:
            start = filler.end()
        if query.analysis.answer_type in _NAMED:
            # A preposition or conjunction in front frames the name (与|长春工程学院, 位于|嘉义市).
            word = _LEADING_PREPOSITION.match(text, start, end)
            if (
                word is not None
                and word.end() in boundaries
                and sum(map(_is_content, text[word.end() : end])) >= 2
            ):
                start = word.end()
        start, end = _complete_titles(text, start, end, origin, query.analysis.normalized)
        start, end = _balance_brackets(text, start, end)
        start, end = _strip(text, start, end)
        return _Span(start, end, span.framing, span.typed)

    @staticmethod
    def _typed(query: _Query, text: str, span: _Span, words: Sequence[_Word]) -> _Span:
        """Narrow the span to the date or number asked for in it; check names by their tags."""
        analysis = query.analysis
        if analysis.answer_type in _NUMERIC:
            number = _number_in(analysis, text, span.start, span.end)
            if number is None:
                return _Span(span.start, span.end, span.framing, 0.0)
            return _Span(number[0], number[1], span.framing, number[2])
        if analysis.answer_type is AnswerType.DATE:
            date = _DATE.search(text, span.start, span.end)
            if date is None:
                return _Span(span.start, span.end, span.framing, 0.0)
            # 10月9日 half answers 哪一年 (the year is elsewhere); 去年10月, 2025年 answer it.
            dated = "年" in date.group() or not _YEAR_ASKED.search(analysis.wh_word)
            return _Span(date.start(), date.end(), span.framing, 1.0 if dated else 0.5)
        if analysis.answer_type is AnswerType.ALIAS:
            # The name a marker gives (又名|玉山矢竹、玉山云竹) that the span reaches into.
            # A marker with its 为 and colon (英文全称：) is at most 6 characters before the span.
            for low, high in _aliases(analysis, text, max(0, span.start - 6), len(text)):
                if low < span.end and span.start < high:
                    return _Span(low, high, span.framing, 1.0)
            return _Span(span.start, span.end, span.framing, 0.0)
        if analysis.answer_type in _NAME_TAGS:
            # A name the question itself holds (辽源市 in 辽源的高铁站选址在哪) is what the
            # answer is about, not the answer: it does not type the span.
            names = [
                name
                for name in _names(analysis, text, words, span.start, span.end)
                if not _question_names(analysis, _place_stem(text[name[0] : name[1]]))
            ]
            if analysis.plural:
                # Several names asked for: a list of them, or less surely a list of untagged rare
                # names (哪几个城市 ↔ 智能工厂、“吉星”卫星星座建设 is a list of other things).
                # Only the best sentences are tagged: in the others no name is known.
                if names:
                    typed = max(0.6, span.typed)
                elif any(tag for *_, tag in words):
                    typed = _UNTAGGED_LIST * span.typed
                else:
                    typed = span.typed
                return _Span(span.start, span.end, span.framing, typed)
            if not names:
                return _Span(span.start, span.end, span.framing, 0.0)
            last = names[-1]
            if len(names) == 1:
                end = _name_end(analysis.answer_type, text, words, last[1], span.end)
                span = _Span(span.start, end, span.framing, span.typed)
            if (
                analysis.answer_type is AnswerType.ORGANIZATION
                and len(names) == 1
                and text[last[1] : span.end] in ("", "的")
            ):
                # The organisation without what leads to it (正式获得|国家发展和改革委员会).
                return _Span(last[0], last[1], span.framing, 1.0)
            if (
                analysis.answer_type is AnswerType.PERSON
                and last[1] == span.end
                and last[1] - last[0] >= 2
            ):
                # A title before a name goes (办公室主任刘楠 → 刘楠); otherwise the span stays
                # whole, as jieba splits rare names (朱|泚) and the tagged word would cut them.
                return _Span(last[0], last[1], span.framing, 1.0)
            return _Span(span.start, span.end, span.framing, 1.0)
        return span

    @staticmethod
    def _penalize_stray(
        query: _Query, span: _Span, match: _SentenceMatch, aligned: list[set[int]]
    ) -> _Span:
        """Lower the framing of a span holding question words found nowhere else in the sentence:
        the answer should not swallow what the question says (a repeated subject is fine)."""
        wh_start, wh_end = query.analysis.wh_start, query.analysis.wh_end
        inside: set[int] = set()
        outside: set[int] = set()
        for offset, positions in enumerate(aligned):
            index = match.local_start + offset
            (inside if span.start <= index < span.end else outside).update(positions)
        stray = sum(query.weights[p] for p in inside - outside if not wh_start <= p < wh_end)
        return _Span(span.start, span.end, span.framing / (1.0 + stray / _STRAY_SCALE), span.typed)


# --- helpers -------------------------------------------------------------------------------------


def _missing_names(
    analysis: QuestionAnalysis, tagged: Sequence[_Word], texts: Sequence[str], passage: str
) -> int:
    """How many names of the question (places, people, organisations, other proper nouns, latin
    words), outside the question word, none of the passages holds, not even half of their
    character bigrams (长春都市圈 is there as 长春现代化都市圈); and how many of its numbers
    (2026 in 2026年经济总量目标) the answer's ``passage`` lacks."""
    missing = 0
    for start, end, flag in tagged:
        word = analysis.normalized[start:end]
        if analysis.wh_start <= start < analysis.wh_end or len(word) < 2:
            continue
        if word.isdigit():
            missing += word not in passage
            continue
        if not (flag in _NAME_FLAGS or _LATIN_WORD.fullmatch(word)):
            continue
        if any(word in text for text in texts):
            continue
        pairs = [word[i : i + 2] for i in range(len(word) - 1)]
        held = sum(any(pair in text for text in texts) for pair in pairs)
        if _LATIN_WORD.fullmatch(word) or len(pairs) == 1 or held * 2 < len(pairs):
            missing += 1
    return missing


def _aliases(analysis: QuestionAnalysis, text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The other names ``text[start:end]`` gives: Latin-script runs when an English name is
    asked, else what follows a marker (别称|黄莺、小黄蝉, 英文全称：…) up to the clause end."""
    if _ENGLISH_ASKED.search(analysis.normalized):
        return [m.span() for m in _LATIN_NAME.finditer(text, start, end) if len(m.group()) > 1]
    found = []
    for marker in _ALIAS_MARKER.finditer(text, start, end):
        low = high = marker.end()
        depth = 0  # brackets opened inside the name (无头土香（台湾）、无头香) stay in it
        while high < end and text[high] not in _ALIAS_END:
            if text[high] in "（(":
                depth += 1
            elif text[high] in "）)":
                if depth == 0:
                    break
                depth -= 1
            high += 1
        if any(_is_content(char) for char in text[low:high]):
            found.append((low, high))
    return found


def _question_names(analysis: QuestionAnalysis, stem: str) -> bool:
    """Whether a word of the question names ``stem`` (not a longer name that holds it:
    长春现代化都市圈 does not name 长春, whose 核心城市 may be asked)."""
    return any(_names_region(word, stem) for word in analysis.words)


def _names_region(word: str, stem: str) -> bool:
    """Whether ``word`` is the region ``stem``, with or without its suffix, or opens with it and
    the suffix (长春市委); 吉林云校 and 长春现代化都市圈 hold a region's name without naming it."""
    return word.startswith(stem) and word[len(stem) : len(stem) + 1] in ("", *_REGION_SUFFIXES)


def _place_stem(place: str) -> str:
    """吉林市 → 吉林: a region is named with or without its suffix."""
    return place[:-1] if len(place) > 2 and place[-1] in _REGION_SUFFIXES else place


def _other_titles(question: str, titles: Sequence[str]) -> list[bool]:
    """For each normalised title, whether it is another document's than those the normalised
    ``question`` names (盾柱木的原产地在哪里 names the article 盾柱木, not 萱侬律). A title is
    named without its bracketed qualifier (元皇后 (北齐孝昭帝)) or, for a name written with ·, by
    its first part (拉诺米 for 拉诺米·克罗莫维焦约). False for all when it names none, and for
    an untitled document."""
    names = [_TITLE_QUALIFIER.split(title, maxsplit=1)[0].strip() for title in titles]
    named = {name for name in names if _names_title(question, name)}
    return [bool(named) and bool(name) and name not in named for name in names]


def _names_title(question: str, name: str) -> bool:
    return any(len(part) >= 2 and part in question for part in (name, name.split("·", 1)[0]))


def _focus_share(analysis: QuestionAnalysis, tagged: Sequence[_Word], sentence: str) -> float:
    """How much of the nouns next to the question word (the thing asked about: 票价 in
    高铁票价多少钱, 全长 in 全长多少公里) ``sentence`` holds: per noun the share of its characters
    in a bigram of the sentence; 1 when no noun is that close."""
    text = analysis.normalized
    nouns = [word for word in tagged if word[2][:1] == "n" or word[2] in ("vn", "eng")]
    wh_start, wh_end = analysis.wh_start, analysis.wh_end
    left = [w for w in nouns if wh_start - _FOCUS_REACH <= w[0] and w[1] <= wh_start]
    right = [w for w in nouns if 0 <= w[0] - wh_end <= _FOCUS_REACH]
    focus = [*left[-1:], *right[:1]]
    if not focus:
        return 1.0
    shares = []
    for start, end, _ in focus:
        word = text[start:end]
        if len(word) < 2:
            shares.append(1.0 if word in sentence else 0.0)
            continue
        held = [word[i : i + 2] in sentence for i in range(len(word) - 1)]
        shares.append(sum(held) / len(held))
    return sum(shares) / len(shares)


def _is_filler(text: str, span: _Span, words: Sequence[_Word], answer_type: AnswerType) -> bool:
    """Whether a span holds no answer: only pronouns, conjunctions or function words, or a single
    character where no number or date is asked for."""
    content = sum(map(_is_content, text[span.start : span.end]))
    if content < 2 and answer_type not in _NUMERIC and answer_type is not AnswerType.DATE:
        return True
    inside = [
        text[word_start:word_end]
        for word_start, word_end, _ in words
        if span.start <= word_start and word_end <= span.end
        and any(map(_is_content, text[word_start:word_end]))
    ]
    return bool(inside) and sum(map(len, inside)) >= content and all(
        word in STOPWORDS or word in _FILLER_WORDS for word in inside
    )


def _defines(text: str, start: int, end: int, term: str) -> float:
    """How surely ``text[start:end]`` defines ``term``: 1 when a copula follows it (棱柱是…,
    冠夫姓（或从夫姓），指…, 所谓三鹰就是…) or the sentence opens with it and a bracket or comma
    (自在奥义书（…）婆罗门教…, 乡里制，…), 0.5 when the sentence only opens with it (由于放线菌酮…
    is about it, not what it is), 0 otherwise."""
    position = text.find(term, start, end)
    if position < 0:
        return 0.0
    after = position + len(term)
    if _DEFINING_COPULA.match(text, after, end) is not None:
        return 1.0
    if position - start > 2:
        return 0.0
    return 1.0 if text.startswith(("（", "(", "，", ","), after) else 0.5


def _enumeration_of(analysis: QuestionAnalysis) -> re.Pattern[str] | None:
    """For a question asking for several names of a kind (哪几个城市, 哪些企业): a pattern of
    names listed with 、 and closed by a count or 等 and that noun (长春市、吉林市、四平市、辽源市
    4个城市, 吉林、四平、辽源三市, 艾仕得涂料、星云化工、华涂化工等企业); group 1 is the list."""
    if not analysis.plural or not analysis.head or analysis.answer_type not in _NAME_TAGS:
        return None
    heads = {analysis.head, analysis.head[-1]} if len(analysis.head) == 2 else {analysis.head}
    names = "|".join(sorted(heads, key=len, reverse=True))
    item = r"[^、，,。；;和与及\s]{1,8}"
    return re.compile(rf"((?:{item}、)+{item})(?:等|[0-9一二两三四五六七八九十]+个?)(?:{names})")


def _enumerated(text: str, found: re.Match[str], boundaries: frozenset[int]) -> _Span:
    """The names an ``_enumeration_of`` match lists, its first item cut to its last word of two
    characters or more (联动吉林、四平、辽源三市 → 吉林、四平、辽源)."""
    start, end = found.span(1)
    first_end = text.index("、", start)
    start = max((offset for offset in boundaries if start <= offset <= first_end - 2), default=start)
    return _Span(start, end, 1.0, 1.0)


def _frames_slot(aligned: Sequence[set[int]], sentence: str, wh_start: int, wh_end: int) -> bool:
    """Whether the sentence holds the question's ``_SLOT_FRAME`` characters right before and right
    after the question word, with a short stretch of one clause between them: the answer's slot
    (都市圈以哪个城市为核心 ↔ …都市圈以长春为核心). Shorter frames (是谁的, 在哪些) are too
    common to tell the answer's sentence (CMRC F1 −0.001 with 2 characters, unchanged with 3)."""
    if wh_start < _SLOT_FRAME:
        return False
    left = None
    last = len(aligned) - _SLOT_FRAME
    for offset, positions in enumerate(aligned):
        if sentence[offset] in _CLAUSE_BREAK:
            left = None
        elif (
            left is not None
            and 0 < offset - left - 1 <= _MAX_SLOT
            and offset <= last
            and all(wh_end + step in aligned[offset + step] for step in range(_SLOT_FRAME))
        ):
            return True
        elif offset + 1 >= _SLOT_FRAME and all(
            wh_start - 1 - step in aligned[offset - step] for step in range(_SLOT_FRAME)
        ):
            left = offset
    return False


def _states_role(answer: Answer, role: str) -> bool:
    """Whether the answer's sentence says it fills ``role`` in the form 以<answer>为<role>."""
    other = f"[^{re.escape(''.join(_CLAUSE_BREAK))}]{{0,3}}"
    stated = f"以{other}{re.escape(normalize(answer.text))}{other}为{re.escape(role)}"
    return re.search(stated, normalize(answer.sentence)) is not None


def _distinct(matches: list[_SentenceMatch], hits: Sequence[Hit]) -> list[_SentenceMatch]:
    """``matches`` with each sentence once, where it ranks best: neighbouring passages share a
    sentence, which would otherwise take two of the few places the reader reads (辽源什么时候通高铁
    read 8月，政企会谈通过了… twice and never reached …力争“十五五”末期建成通车)."""
    seen: set[tuple[str, int]] = set()
    distinct = []
    for match in matches:
        key = (hits[match.hit_rank].passage.doc_id, match.sentence.start)
        if key not in seen:
            seen.add(key)
            distinct.append(match)
    return distinct


def _open_slots(aligned: Sequence[set[int]], wh_start: int, wh_end: int) -> Sequence[set[int]]:
    """``aligned`` with the characters unmatched that sit, in one unbroken match, between the
    words right before and right after the question word: they fill its slot, though they repeat
    a question word elsewhere (以哪个城市为核心 ↔ 以长春为核心 of 长春现代化都市圈以…).
    """
    if wh_start == 0:
        return aligned
    opened = list(aligned)
    left = None
    for offset, positions in enumerate(aligned):
        if not positions:
            left = None
        elif wh_end in positions and left is not None and 0 < offset - left - 1 <= _MAX_SLOT:
            for inside in range(left + 1, offset):
                opened[inside] = set()
            left = None
        elif wh_start - 1 in positions:
            left = offset
    return opened


def _runs(query: _Query, aligned: Sequence[set[int]], origin: int) -> list[_Run]:
    """Stretches of matched characters. Runs that only match the noun asked about are dropped:
    it belongs to the answer (哪家漫画公司 → …DC漫画公司), not to its frame."""
    wh_start, wh_end = query.analysis.wh_start, query.analysis.wh_end
    runs: list[tuple[int, int, set[int]]] = []
    for offset, positions in enumerate(aligned):
        if not positions:
            continue
        index = origin + offset
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1, runs[-1][2] | positions)
        else:
            runs.append((index, index + 1, set(positions)))
    return [
        _Run(start, end, frozenset(positions))
        for start, end, positions in runs
        if any(not wh_start <= p < wh_end for p in positions)
    ]


def _outside(query: _Query, text: str, match: _SentenceMatch, runs: Sequence[_Run]) -> list[_Span]:
    """The clauses just before and just after the sentence's first and last matched stretch.

    Inverted sentences (瓦士本市的主街道是什么 ↔ 威斯康辛州州立公路13号是瓦士本市的主街道) and
    definitions (什么是X ↔ X是Y) put the answer there; a copula between stretch and clause frames
    it.
    """
    if not runs:
        return []
    weights = query.weights
    wh_start, wh_end = query.analysis.wh_start, query.analysis.wh_end
    content = max(sum(weights[:wh_start]) + sum(weights[wh_end:]), 1e-9)
    first, last = _stretch(runs, 0, text), _stretch(runs, len(runs) - 1, text)
    spans = []
    before = _clauses(text, match.local_start, runs[first[0]].start)
    if before:
        share = _share(weights, runs[first[0] : first[1] + 1], wh_start, wh_end) / content
        copula = _TRAILING_COPULA.search(text, before[-1][0], runs[first[0]].start)
        clause_end = copula.start() if copula else before[-1][1]
        spans.append(
            _Span(before[-1][0], clause_end, 0.5 * share + 0.35 * (copula is not None), 0.5)
        )
    after = _clauses(text, runs[last[1]].end, match.local_end)
    if after:
        share = _share(weights, runs[last[0] : last[1] + 1], wh_start, wh_end) / content
        linked = _COPULA.match(text, runs[last[1]].end) is not None
        spans.append(_Span(*after[0], 0.5 * share + 0.35 * linked, 0.5))
    return spans


def _stretch(runs: Sequence[_Run], index: int, text: str) -> tuple[int, int]:
    """First and last run of the stretch around ``runs[index]``: runs at most two characters
    apart with no clause break between them."""
    low = high = index
    while (
        low > 0
        and runs[low].start - runs[low - 1].end <= 2
        and not _breaks(text, runs[low - 1].end, runs[low].start)
    ):
        low -= 1
    while (
        high < len(runs) - 1
        and runs[high + 1].start - runs[high].end <= 2
        and not _breaks(text, runs[high].end, runs[high + 1].start)
    ):
        high += 1
    return low, high


def _share(weights: Sequence[float], runs: Sequence[_Run], wh_start: int, wh_end: int) -> float:
    """Question weight matched by ``runs``, outside the question word."""
    found = set().union(*(run.positions for run in runs))
    return sum(weights[p] for p in found if not wh_start <= p < wh_end)


def _number_in(
    analysis: QuestionAnalysis, text: str, start: int, end: int
) -> tuple[int, int, float] | None:
    """The number in ``text[start:end]`` that fits the question best, and how well (1 or 0.6).

    It fits with the asked unit (几类 → 两类), a time unit for 多久, a physical unit for 多高 /
    多大; another number with a measure word fits partly.
    """
    dimension = _DIMENSION.fullmatch(analysis.wh_word) is not None
    measured = (
        dimension
        or analysis.answer_type is AnswerType.DURATION
        or _PHYSICAL_UNIT.search(analysis.unit) is not None
    )
    partial: tuple[int, int, float] | None = None
    pattern = _number_with_unit(analysis.unit) if analysis.unit else _NUMBER
    for match in pattern.finditer(text, start, end):
        value = match.group()
        if not _DIGIT.search(value) and (
            len(value) < 2 or not re.search(_MEASURE, value) or value[0] in "零〇"
        ):
            continue  # a lone 一 / 两 inside a word (一些, 统一, 零部件) is not a number
        if analysis.answer_type is AnswerType.DURATION:
            fits = _TIME_UNITS.search(value) is not None
        elif analysis.unit == "%":
            fits = "%" in value or "成" in value  # a share: 67% or 七成
        elif analysis.unit:
            fits = analysis.unit in value
        elif dimension:
            fits = _PHYSICAL_UNIT.search(value) is not None
        else:
            fits = True
        if fits:
            return match.start(), match.end(), 1.0
        # A count with another classifier may still answer (几首歌 ↔ 5张单曲); when a measure is
        # asked for, neither a quantity in another unit (票价多少钱 ↔ 30分钟) nor a count does
        # (多大 ↔ 一场, 全长多少公里 ↔ 一期).
        if partial is not None:
            continue
        if analysis.unit == "个" and value[-1] in _CLASSIFIERS:
            # 个 is the general classifier: 几个铁路道口 is answered with 15处.
            partial = (match.start(), match.end(), 0.8)
        elif not measured and re.search(_MEASURE, value):
            partial = (match.start(), match.end(), 0.6)
    return partial


@lru_cache(maxsize=256)
def _number_with_unit(unit: str) -> re.Pattern[str]:
    """Numbers, including ones with the asked unit even when it is no common measure word."""
    # The asked unit first, so a range in it (海拔50米至1,520米) is taken whole.
    quantity = rf"{_NUM}(?:余|多)?{re.escape(unit)}"
    return re.compile(
        rf"{_NUMBER_PREFIX}{quantity}(?:\s*(?:[-~～—至到]|和|或)\s*{quantity})?|{_NUMBER.pattern}"
    )


def _wanted_tags(analysis: QuestionAnalysis) -> frozenset[str]:
    """The jieba tags of the kind of name ``analysis`` asks for."""
    if analysis.answer_type is AnswerType.PERSON and _PERSON_TITLE.search(analysis.normalized):
        return _PERSON_TAGS
    return _NAME_TAGS[analysis.answer_type]


def _names(
    analysis: QuestionAnalysis, text: str, words: Sequence[_Word], start: int, end: int
) -> list[tuple[int, int]]:
    """Runs of words inside ``start:end`` tagged as the asked kind of name (joined by ·)."""
    answer_type = analysis.answer_type
    wanted = _wanted_tags(analysis)
    names: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for word_start, word_end, tag in words:
        if word_start < start or word_end > end:
            continue
        joins = (
            current is not None
            and word_start == current[1]
            and text[word_start:word_end] in _NAME_JOINERS
        )
        # A direction word (南部新城) opens a place name when one follows it.
        direction = (
            tag == "f" and answer_type is AnswerType.PLACE and _tag_after(words, word_end) in wanted
        )
        if tag in wanted or joins or direction:
            current = (word_start, word_end) if current is None else (current[0], word_end)
        elif current is not None:
            names.append(current)
            current = None
    if current is not None:
        names.append(current)
    if answer_type is AnswerType.ORGANIZATION:
        # A name found by its ending takes in the tagged names inside it (国家|…|委员会).
        for found in _organisations(text, words, start, end):
            if not any(low <= found[0] and found[1] <= high for low, high in names):
                names = [name for name in names if not (found[0] <= name[0] and name[1] <= found[1])]
                names.append(found)
        names.sort()
    return names


def _organisations(
    text: str, words: Sequence[_Word], start: int, end: int
) -> list[tuple[int, int]]:
    """Organisation names inside ``start:end`` known by how they end (…改革委员会, 省政府): the
    run of nouns before such a word, joined by 和 / 与 / 及 between nouns."""
    found = []
    inside = [word for word in words if start <= word[0] and word[1] <= end]
    for index, (word_start, word_end, tag) in enumerate(inside):
        word = text[word_start:word_end]
        if len(word) < 2 or word in _NOT_ORG or tag not in _ORG_WORD_TAGS:
            continue
        if not _ORG_SUFFIX.search(word):
            continue
        first = index
        while first > 0 and (
            inside[first - 1][2] in _ORG_WORD_TAGS
            or (
                text[inside[first - 1][0] : inside[first - 1][1]] in _ORG_JOINERS
                and first >= 2
                and inside[first - 2][2] in _ORG_WORD_TAGS
            )
        ):
            first -= 1
        found.append((inside[first][0], word_end))
    return found


def _name_end(
    answer_type: AnswerType, text: str, words: Sequence[_Word], name_end: int, span_end: int
) -> int:
    """Where a name ending at ``name_end`` inside a span ending at ``span_end`` ends: before the
    word that is the sentence going on (马鞍山村|通过, 张恩惠|专程…), else ``span_end``.

    jieba splits rare names (袁丽|嫦, 马鞍山|村), so one more character is taken as part of the
    name when it is no function word or verb.
    """
    following = {word[0]: word for word in words}
    word = following.get(name_end)
    if (
        word is not None
        and word[1] - word[0] == 1
        and word[2][:1] not in _FUNCTION_TAGS | _NOT_NAME_TAIL
        and _is_cjk(text[word[0]])
    ):
        name_end, word = word[1], following.get(word[1])
    if word is None or word[1] > span_end:
        return span_end
    tag, size = word[2], word[1] - word[0]
    if size >= 2 and tag[:1] in _FUNCTION_TAGS:
        return name_end
    if answer_type is AnswerType.PLACE:
        return span_end  # a place name goes on with unknown words (香港屯门|兆康路…)
    if tag[:1] in _NOT_NAME_TAIL:
        return name_end  # 王立臣|说, 高飞|5位发言人
    if answer_type is AnswerType.PERSON and size >= 2 and tag not in _NAME_FLAGS:
        return name_end if _is_cjk(text[word[0]]) else span_end  # 张恩惠|专程, 特鲁多|总统
    return span_end


def _tag_after(words: Sequence[_Word], position: int) -> str:
    """Tag of the word starting at ``position`` ("" when none does)."""
    return next((tag for start, _, tag in words if start == position), "")


def _is_content(char: str) -> bool:
    return char.isalnum()


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def _is_latin_or_digit(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _light(weights: Sequence[float], positions: set[int]) -> bool:
    """Whether the matched question positions are only function words."""
    return sum(weights[position] for position in positions) < 1.0


def _is_break(text: str, index: int) -> bool:
    """Clause punctuation, except a comma or colon between digits (31,875 / 1:7)."""
    char = text[index]
    if char not in _CLAUSE_BREAK:
        return False
    if char in ",:" and 0 < index < len(text) - 1:
        return not (text[index - 1].isdigit() and text[index + 1].isdigit())
    return True


def _breaks(text: str, start: int, end: int) -> int:
    """How many clause or list breaks ``text[start:end]`` holds."""
    return sum(1 for index in range(start, end) if text[index] == "、" or _is_break(text, index))


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``text[start:end]`` cut at clause punctuation; pieces without content are dropped and list
    commas or spaces at a piece's edges are cut off."""
    pieces, previous = [], start
    for index in range(start, end):
        if _is_break(text, index):
            pieces.append((previous, index))
            previous = index + 1
    pieces.append((previous, end))
    trimmed = []
    for piece_start, piece_end in pieces:
        while piece_start < piece_end and (
            text[piece_start] == "、" or text[piece_start].isspace()
        ):
            piece_start += 1
        while piece_end > piece_start and (
            text[piece_end - 1] == "、" or text[piece_end - 1].isspace()
        ):
            piece_end -= 1
        if any(_is_content(char) for char in text[piece_start:piece_end]):
            trimmed.append((piece_start, piece_end))
    return trimmed


def _enumerations(
    text: str, lower: int, upper: int, words: Sequence[_Word]
) -> list[tuple[int, int, float]]:
    """Enumerations (X、Y和Z) in ``text[lower:upper]``, each within one clause, with how surely
    they are lists (1 with 、, 0.8 for a lone 和 / 与 / 及).

    Separators at most ``_MAX_ITEM`` characters apart chain into one list; 和 / 及 / 与 count only
    as whole words (和平 is no separator). An item's left edge and the end of the last item are not
    marked (聚焦|梅花鹿、蛋品、食用菌|三大特色品类), so the first and last items take whole words
    next to the separators, no longer than the longest inner item, up to a function word or what
    ends a list (等, 三大…); in a list of two, also up to a one-character word (赴|上海、成都).
    """
    starts = {word[0]: word for word in words}
    ends = {word[1]: word for word in words}

    def lone(word: _Word, counted: bool) -> bool:
        # Without inner items to measure by, a one-character word (赴 / 与) ends an item too.
        piece = text[word[0] : word[1]]
        return (len(piece) < 2 and not counted) or piece in STOPWORDS or piece in _FILLER_WORDS

    found: list[tuple[int, int, float]] = []
    for clause_start, clause_end in _clauses(text, lower, upper):
        separators = [
            (m.start(), m.end())
            for m in _ITEM_SEPARATOR.finditer(text, clause_start, clause_end)
            if m.group() == "、" or (m.start() in ends and m.end() in starts)
        ]
        chains: list[list[tuple[int, int]]] = []
        for separator in separators:
            # 和 / 与 join only the last item: before a 、 it means "with" (企业与中国一汽、中车长客).
            if (
                chains
                and 0 < separator[0] - chains[-1][-1][1] <= _MAX_ITEM
                and text[chains[-1][-1][0]] == "、"
            ):
                chains[-1].append(separator)
            else:
                chains.append([separator])
        for chain in chains:
            inner = [
                _units(text, before[1], after[0])
                for before, after in zip(chain, chain[1:], strict=False)
            ]
            longest = max(inner) + 1 if inner else _MAX_ITEM // 2
            first = chain[0][0]
            while first in ends and first > clause_start:
                word = ends[first]
                # A rare name may hold a one-character word (艾仕|得|涂料): it stops only a
                # started item.
                if (lone(word, bool(inner)) and chain[0][0] - first >= 2) or _units(
                    text, word[0], chain[0][0]
                ) > longest:
                    break
                first = word[0]
            if not inner:
                longest = _units(text, first, chain[0][0]) + 1  # two items: about as long
            last = chain[-1][1]
            while last in starts and last < clause_end:
                word = starts[last]
                started = last - chain[-1][1] >= 2
                if (
                    (lone(word, bool(inner)) and started)
                    or _units(text, chain[-1][1], word[1]) > longest
                    or _ITEM_TAIL.match(text, last)
                ):
                    break
                last = word[1]
            if first < chain[0][0] and last > chain[-1][1]:
                # A lone 和 / 与 may join two verbs or mean "with": a weaker sign of a list.
                sure = 1.0 if text[chain[0][0]] == "、" else 0.8
                found.append((*_strip(text, first, last), sure))
    return found


def _units(text: str, start: int, end: int) -> int:
    """Length of ``text[start:end]`` with each run of latin letters, digits or symbols counted as
    one character, as a Chinese character is a word's worth (光荣和ω-force)."""
    return len(_NON_CJK_RUN.sub("x", text[start:end]))


def _listed(
    text: str, span: _Span, match: _SentenceMatch, words: Sequence[_Word], narrow: bool
) -> _Span:
    """``span`` typed by how surely it holds or is part of an enumeration (0 when not); with
    ``narrow`` (names asked for) it becomes the enumeration itself. A list of other things keeps
    its frame: what is listed is often a phrase, not a word (分布于东大西洋海域，北至…)."""
    for start, end, sure in _enumerations(text, match.local_start, match.local_end, words):
        if start < span.end and span.start < end:
            if narrow or span.start >= start and span.end <= end:
                return _Span(start, end, span.framing, sure)
            # The count before the frame answers 哪几 itself (…食用菌|三大|特色品类).
            count = _LIST_COUNT.search(text, span.start, span.end)
            return _Span(span.start, count.start() if count else span.end, span.framing, sure)
    return _Span(span.start, span.end, span.framing, 0.0)


def _items(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``text[start:end]`` cut at the enumeration comma 、."""
    pieces, previous = [], start
    for index in range(start, end):
        if text[index] == "、":
            pieces.append((previous, index))
            previous = index + 1
    pieces.append((previous, end))
    return [
        piece for piece in pieces if any(_is_content(char) for char in text[piece[0] : piece[1]])
    ]


def _clause_start(text: str, lower: int, position: int) -> int:
    """Start of the clause that ends at ``position`` (not before ``lower``)."""
    index = position
    while index > lower and not _is_break(text, index - 1):
        index -= 1
    return index


def _clause_end(text: str, position: int, upper: int) -> int:
    """End of the clause that starts at ``position`` (not after ``upper``)."""
    index = position
    while index < upper and not _is_break(text, index):
        index += 1
    return index


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _EDGE_JUNK:
        start += 1
    while end > start and text[end - 1] in _EDGE_JUNK:
        end -= 1
    return start, end


def _complete_titles(
    text: str, start: int, end: int, lower: int, question: str
) -> tuple[int, int]:
    """Extend a span that cuts a title or quoted name (列王纪上》 of 《列王纪上》) to the whole
    of it, when the missing part is short and holds no clause break, and the title is not the
    question's own words (“赛里木|”为哈萨克语 stays cut); ``lower`` is the sentence start."""
    for opener, closer in _TITLE_MARKS:
        span = text[start:end]
        closing, opening = span.find(closer), span.find(opener)
        if closing >= 0 and not 0 <= opening < closing:
            found = text.rfind(opener, max(lower, start - _MAX_TITLE), start)
            if (
                found >= 0
                and closer not in text[found + 1 : start]
                and not _breaks(text, found, start)
                and text[found + 1 : start + closing] not in question
            ):
                start = found
        span = text[start:end]
        opening, closing = span.rfind(opener), span.rfind(closer)
        if opening > closing:
            found = text.find(closer, end, end + _MAX_TITLE)
            if (
                found >= 0
                and opener not in text[end:found]
                and not _breaks(text, end, found)
                and text[start + opening + 1 : found] not in question
            ):
                end = found + 1
    return start, end


def _balance_brackets(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop a bracket or quote at an edge of the span that has no partner inside it."""
    for opener, closer in zip(_OPENERS, _CLOSERS, strict=True):
        span = text[start:end]
        if span.endswith(opener):
            end -= 1
        if span.startswith(closer):
            start += 1
        span = text[start:end]
        if span.count(opener) > span.count(closer) and span.startswith(opener):
            start += 1
        elif span.count(closer) > span.count(opener) and span.endswith(closer):
            end -= 1
    return start, end

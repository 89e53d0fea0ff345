"""Follow-up questions without an LLM: ``FollowUpResolver(user_dict).resolve(question, previous)``.

A short follow-up leans on the question before it, and retrieval only sees the follow-up, so
it is rewritten into a question that stands on its own:

* an elliptical question (``那吉林市呢？``, ``四平呢？``, ``那到吉林市呢？``) takes the previous
  question and puts its entity in place of the previous entity of the same kind (place for
  place, person for person, organisation, time) — ``长春市长是谁？`` → ``吉林市长是谁？``;
* a pronoun (``它``, ``他``, ``那里``, ``其中``, ``这个项目``, ``这家公司``) is replaced by the previous
  question's topic: the words in front of its question word, plus the noun a 多少/几 counts
  (``辽源有多少家汽车零部件企业`` → ``辽源汽车零部件企业``);
* an elliptical question with no entity to swap asks about the previous topic.

Anything else stands on its own and is left unchanged. Kinds of words come from jieba's
part-of-speech tags (with the corpus's user dictionary); the question word from
``rag.reading.question.analyze_question``. All matching is done on ``normalize``d text, which has the
same offsets as the original, so rewrites keep the user's own characters.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import jieba
import jieba.posseg

from rag.errors import QuestionError
from rag.text.normalize import normalize
from rag.reading.question import analyze_question
from rag.text.tokenization import pos_tagger_with_words, user_dict_entries

_TRAILING = "？?。.!！~～…，,；; \t\r\n　"

# 那吉林市呢 / 四平呢 / 那到吉林市呢 / 梅河口怎么样 — the entity or topic sits between the markers.
_ELLIPSIS = re.compile(r"^(?:那么|那|还有|另外)?(?P<rest>.{1,16}?)(?:呢|怎么样|怎样|如何|又如何|又怎样)$")

# Times are found by pattern: jieba splits 2025年 into 2025 / 年.
_TIME = re.compile(
    r"\d{2,4}年(?:\d{1,2}月)?(?:\d{1,2}[日号])?"
    r"|\d{1,2}月(?:\d{1,2}[日号])?"
    r"|[去今明前]年"
    r"|[“\"]?十[一二三四五六]五[”\"]?(?:期间|时期|末期)?"
)

# Pronouns that stand for the previous topic, for a place in it, or for "among them".
_THING_PRONOUNS = frozenset("它 它们 他 她 他们 她们 其".split())
_PLACE_PRONOUNS = frozenset("那里 这里 那儿 这儿 当地 该地 此地 该市 本市".split())
_AMONG = frozenset("其中 当中".split())
# Determiners that, followed by a noun, point back: 这个项目, 那些项目, 这家公司, 该工程.
_DETERMINER = re.compile(r"^(?:这|那|该|此|本)(?:一|个|些|家|项|座|条|所|位|种|批|类|片)?$")

# Tagged ns by jieba but not names of a place.
_GENERIC_PLACES = frozenset("城市 都市 城区 地区 地方 国内 省内 市内 圈内 全省 全国 本地 当地".split())

# Words dropped from the ends of a topic: copulas, light verbs, particles, adverbs.
_LIGHT = frozenset(
    """是 有 叫 为 在 要 会 能 可 的 了 过 着 被 将 把 都 共 一共 总共 大约 约 还 又 已 已经
    到底 究竟 需要 可以 能够 属于 位于 叫做 称为 给 对 和 与 从 到 由 请问 那 那么 目前 现在""".split()
)


@dataclass(frozen=True)
class FollowUp:
    """How a question was read: ``rewritten`` is what retrieval and the reader get."""

    question: str  # as the user typed it
    rewritten: str  # equal to ``question`` when it stands on its own
    reason: str  # "standalone" | "entity" | "pronoun" | "topic"

    @property
    def changed(self) -> bool:
        return self.rewritten != self.question


@dataclass(frozen=True)
class _Word:
    text: str
    tag: str
    start: int
    end: int


@dataclass(frozen=True)
class _Entity:
    start: int
    end: int
    kind: str  # "place" | "person" | "organization" | "time"


class FollowUpResolver:
    """Rewrites follow-ups; jieba loads on first use and the instance is safe to share.

    Args:
        user_dict_lines: jieba user-dictionary lines (``word [freq] [tag]``), normally the index's
            own (``pipeline.tokenizer.user_dict_lines``) so corpus terms stay whole words.
        max_chars: questions longer than this are taken to stand on their own (follow-ups are
            short), which also keeps a pasted essay away from the tagger.
    """

    def __init__(self, user_dict_lines: Sequence[str] = (), max_chars: int = 40) -> None:
        if max_chars <= 0:
            raise ValueError(f"max_chars must be a positive number of characters, got {max_chars}")
        self.max_chars = max_chars
        self.user_dict_lines = user_dict_entries(user_dict_lines)
        self._tagger: jieba.posseg.POSTokenizer | None = None
        self._lock = threading.Lock()

    def _tagger_of_words(self) -> jieba.posseg.POSTokenizer:
        """The shared tagger of the user dictionary; its ``tokenizer`` cuts without tags."""
        with self._lock:
            if self._tagger is None:
                self._tagger = pos_tagger_with_words(self.user_dict_lines)
            return self._tagger

    def warm_up(self) -> None:
        """Load jieba's dictionaries now rather than on the first follow-up."""
        self._tagger_of_words()

    def _words(self, text: str) -> list[_Word]:
        # posseg updates its tag table lazily and is not documented as thread-safe: one at a time.
        tagger = self._tagger_of_words()
        words, position = [], 0
        with self._lock:
            pairs = [(pair.word, pair.flag) for pair in tagger.cut(normalize(text))]
        for word, tag in pairs:
            end = position + len(word)
            words.append(_Word(text[position:end], tag, position, end))
            position = end
        return words

    def resolve(self, question: str, previous: str | None) -> FollowUp:
        """Rewrite ``question`` using ``previous`` (the last question as it was answered).

        Without a previous question, or when nothing in ``question`` points back, the question
        is returned unchanged (``reason="standalone"``).

        Raises:
            QuestionError: ``question`` or ``previous`` is not text (an API client sent null or 42).
        """
        if not isinstance(question, str) or not isinstance(previous, (str, type(None))):
            raise QuestionError("问题必须是文字。")
        text = question.strip()
        core = text.rstrip(_TRAILING)
        if (
            not previous
            or not any(char.isalnum() for char in previous)
            or len(core) > self.max_chars
            or not any(char.isalnum() for char in core)
        ):
            return FollowUp(question, question, "standalone")
        previous = previous.strip()
        ending = text[len(core) :] or "？"

        ellipsis = _ELLIPSIS.match(normalize(core))
        rest = core[ellipsis.start("rest") : ellipsis.end("rest")] if ellipsis else ""
        if ellipsis is not None and not _asks_something(rest):
            swapped = self._swap_entity(rest, previous)
            if swapped is not None:
                return FollowUp(question, swapped, "entity")
            topic = self._topic(previous)
            return FollowUp(question, f"{topic}{rest}{ending}", "topic")

        replaced = self._replace_reference(core, previous)
        if replaced is not None:
            return FollowUp(question, replaced + ending, "pronoun")
        return FollowUp(question, question, "standalone")

    def _entities(self, text: str) -> list[_Entity]:
        normalized = normalize(text)
        entities = [_Entity(*match.span(), "time") for match in _TIME.finditer(normalized)]
        taken = {position for entity in entities for position in range(entity.start, entity.end)}
        for word in self._words(text):
            kind = _kind(word)
            if kind is not None and not taken.intersection(range(word.start, word.end)):
                entities.append(_Entity(word.start, word.end, kind))
        return sorted(entities, key=lambda entity: entity.start)

    def _swap_entity(self, rest: str, previous: str) -> str | None:
        """``previous`` with its entity of the same kind replaced by the one in ``rest``."""
        mine = self._entities(rest)
        if not mine:
            return None
        entity = mine[0]
        candidates = [other for other in self._entities(previous) if other.kind == entity.kind]
        if not candidates:
            return None
        # 那到吉林市呢 after 从机场到长春站要多久: the entity after the same word (到) is the one.
        lead = normalize(rest[: entity.start])[-1:] if entity.start else ""
        aligned = [c for c in candidates if lead and normalize(previous[: c.start]).endswith(lead)]
        target = (aligned or candidates)[0]
        after = previous[target.end :]
        new = rest[entity.start : entity.end]
        if entity.kind == "place":
            new = _with_suffix_of(new, previous[target.start : target.end], after)
        return previous[: target.start] + new + after

    def _replace_reference(self, core: str, previous: str) -> str | None:
        """``core`` with its first pronoun or 这个 + noun replaced by the previous topic."""
        words = self._words(core)
        for index, word in enumerate(words):
            if _is_name(word):  # 长春包括哪些城市，其中… : the antecedent is in the question
                return None
            key = normalize(word.text)
            if key in _AMONG:
                return core[: word.start] + self._topic(previous) + "中" + core[word.end :]
            if key in _PLACE_PRONOUNS:
                places = [e for e in self._entities(previous) if e.kind == "place"]
                topic = self._topic(previous)
                if not topic and places:
                    topic = previous[places[0].start : places[0].end]
                return core[: word.start] + topic + core[word.end :]
            if key in _THING_PRONOUNS and word.tag.startswith("r"):
                topic = self._topic(previous)
                joiner = "的" if key == "其" else ""
                return core[: word.start] + topic + joiner + core[word.end :]
            if _DETERMINER.match(key) and index + 1 < len(words):
                noun = words[index + 1]
                if noun.tag.startswith("n") or noun.tag == "vn":
                    referent = self._referent(previous, noun.text)
                    return core[: word.start] + referent + core[noun.end :]
        return None

    def _referent(self, previous: str, noun: str) -> str:
        """What 这个<noun> points to: the previous topic when it names that noun, else the
        first proper name there with the nouns that follow it (启星铝业的… → 启星铝业)."""
        topic = self._topic(previous)
        if normalize(noun) in normalize(topic):
            return topic
        words = self._words(previous.rstrip(_TRAILING))
        for index, word in enumerate(words):
            if _is_name(word):
                end = index + 1
                while end < len(words) and words[end].tag in ("n", "nz", "nt", "j", "ng"):
                    end += 1
                return previous[word.start : words[end - 1].end]
        return f"{topic}{noun}"

    def _topic(self, previous: str) -> str:
        """What the previous question is about: the words before its question word, without
        copulas and particles at the ends, plus the noun a 多少/几 counts."""
        analysis = analyze_question(previous, self._tagger_of_words().tokenizer)
        text = analysis.text
        before = _trim(self._words(text[: analysis.wh_start]))
        counted = ""
        if analysis.unit or analysis.answer_type in ("number", "list"):
            counted = _leading_nouns(self._words(text[analysis.wh_end :]))
        if before:
            return before + counted
        return _trim(self._words(text[analysis.wh_end :])) or text


_ADMINISTRATIVE = "省市县区"


def _with_suffix_of(new: str, old: str, after: str) -> str:
    """Place ``new`` written with ``old``'s administrative suffix: 吉林市长 + 辽源 → 辽源市长 (jieba
    cuts 吉林市|长), 长春市长 + 吉林市 → 吉林市长 (it cuts 长春|市长); never 辽源长 or 吉林市市长."""
    has = normalize(new)[-1] in _ADMINISTRATIVE
    suffix = old[-1] if normalize(old)[-1] in _ADMINISTRATIVE else ""
    if suffix and not has:
        return new + suffix
    if not suffix and has and normalize(after).startswith(normalize(new)[-1]):
        return new[:-1]
    return new


def _asks_something(text: str) -> bool:
    """True when ``text`` holds its own question word (then it is not an elliptical 呢)."""
    return re.search(r"什么|谁|哪|多少|几|多久|多大|何时|为什么|怎么|是否", normalize(text)) is not None


def _kind(word: _Word) -> str | None:
    key = normalize(word.text)
    if key in _GENERIC_PLACES or len(key) < 2:
        return None
    if word.tag == "ns" or re.fullmatch(r"[\u4e00-\u9fff]{2,}[省市县]", key):
        return "place"
    if word.tag == "nr":
        return "person"
    if word.tag == "nt":
        return "organization"
    return None


def _is_name(word: _Word) -> bool:
    """A proper name: a place, person, organisation, or a corpus term / abbreviation."""
    return _kind(word) is not None or word.tag in ("nz", "j")


def _trim(words: list[_Word]) -> str:
    """The words joined, without light words (是/有/的/了/那…) or punctuation at either end."""
    start, end = 0, len(words)
    while start < end and (_is_light(words[start])):
        start += 1
    while end > start and (_is_light(words[end - 1])):
        end -= 1
    return "".join(word.text for word in words[start:end])


def _is_light(word: _Word) -> bool:
    key = normalize(word.text)
    return key in _LIGHT or not any(char.isalnum() for char in key)


def _leading_nouns(words: list[_Word]) -> str:
    """The noun phrase at the start of ``words`` (汽车零部件企业 in 汽车零部件企业？): words up to
    the first verb, particle, pronoun or punctuation mark, ending on a noun."""
    run: list[_Word] = []
    for word in words:
        if not run and word.tag[:1] in ("q", "m"):  # a classifier left after 多少 / 几
            continue
        if word.tag[:1] in ("v", "u", "p", "c", "y", "x", "r", "d") and word.tag != "vn":
            break
        run.append(word)
    while run and not (run[-1].tag.startswith("n") or run[-1].tag in ("vn", "j")):
        run.pop()
    return "".join(word.text for word in run)

"""Checks the hand-written evaluation sets in ``eval/``: run ``pytest tests/test_eval_sets.py``.

``seed_questions.jsonl`` and ``followups.jsonl`` are the project's own sets;
``public_questions.jsonl`` is the held-out set written blind, checked the same way and
reported apart; ``dev_questions.jsonl`` is the news development set (written in the public's
style, before any answer of the trained reader to it was seen), on which refusals are calibrated.

Every gold answer must be a contiguous span of its source article once the raw line breaks are
removed, so that exact-match scoring against the pipeline's extractive answers is meaningful.
The article is read from the project's cleaned ``corpus/`` when it is there, otherwise from the
raw seed articles in ``../shared/seeds``.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import opencc
import pytest

from rag.text.normalize import normalize

PROJECT = Path(__file__).parents[1]
EVAL_DIR = PROJECT / "eval"
CORPUS_DIR = PROJECT / "corpus"
SEEDS_DIR = Path(__file__).parents[2] / "shared" / "seeds"

ANSWER_TYPES = {"number", "date", "person", "place", "organization", "list", "other"}
STYLES = {"paraphrase", "colloquial", "short", "traditional", "mixed-english", "off-topic"}
# A follow-up must lean on the previous turn: a pronoun, a demonstrative or a bare "…呢？".
ANAPHORA = ("它", "他", "她", "那", "这", "其", "该", "呢")

SHORT_MAX_CHARS = 8
COPY_RUN_CHARS = 12  # a shared run this long means the question copies the article

MIN_ANSWERABLE = 50
MIN_PER_ARTICLE = 8
MIN_TRADITIONAL = 4
MIN_MIXED = 3
MIN_SHORT = 4
MIN_UNANSWERABLE = 12
MIN_FOLLOWUPS = 10

# The held-out public set (eval/public_questions.jsonl): on topic only, and a stricter copy check.
PUBLIC_STYLES = (STYLES - {"off-topic"}) | {"two-sentence"}
PUBLIC_COPY_RUN_CHARS = 10
PUBLIC_TOTAL = 72
DEV_TOTAL = 111
PUBLIC_MIN_ANSWERABLE = 60
PUBLIC_MIN_UNANSWERABLE = 12
PUBLIC_MIN_PER_ARTICLE = 10
PUBLIC_MIN_TWO_SENTENCE = 4


def _load_jsonl(name: str) -> list[dict]:
    path = EVAL_DIR / name
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise AssertionError(f"{path}:{number} is not valid JSON: {error}") from error
    return rows


QUESTIONS = _load_jsonl("seed_questions.jsonl")
FOLLOWUPS = _load_jsonl("followups.jsonl")
ANSWERABLE = [row for row in QUESTIONS if row.get("answers")]
UNANSWERABLE = [row for row in QUESTIONS if not row.get("answers")]
PUBLIC = _load_jsonl("public_questions.jsonl")
DEV = _load_jsonl("dev_questions.jsonl")
# The public-style sets: the blind one and the development one, held to the same rules.
STYLED = PUBLIC + DEV
STYLED_SETS = {"public": (PUBLIC, PUBLIC_TOTAL, "p", "n"), "dev": (DEV, DEV_TOTAL, "d", "m")}


@lru_cache(maxsize=None)
def article_text(source: str) -> str:
    """The article as one line: cleaned corpus copy if present, else the raw seed."""
    for directory in (CORPUS_DIR, SEEDS_DIR):
        path = directory / source
        if path.is_file():
            return path.read_text(encoding="utf-8").replace("\r", "").replace("\n", "")
    raise FileNotFoundError(
        f"article {source!r} is in neither {CORPUS_DIR} nor {SEEDS_DIR}; "
        "put the seed articles in ../shared/seeds or build corpus/ first"
    )


def copies_article(question: str, article: str, run: int = COPY_RUN_CHARS) -> str | None:
    """The first run of ``run`` characters the question shares with the article."""
    question, article = normalize(question), normalize(article)
    for start in range(len(question) - run + 1):
        if question[start : start + run] in article:
            return question[start : start + run]
    return None


def is_traditional(text: str) -> bool:
    return opencc.OpenCC("t2s").convert(text) != text


def has_latin(text: str) -> bool:
    return re.search(r"[A-Za-z]", text) is not None


def _ids(rows: list[dict]) -> list[str]:
    return [row.get("id", "?") for row in rows]


def test_copies_article_finds_long_shared_runs_only():
    article = "长春现代化都市圈以长春为核心，联动吉林、四平、辽源三市。"
    assert copies_article("长春现代化都市圈以长春为核心吗？", article) == "长春现代化都市圈以长春为"
    assert copies_article("長春現代化都市圈以長春為核心嗎？", article) is not None  # traditional too
    assert copies_article("长春都市圈还带上了哪些城市？", article) is None
    assert copies_article("这个圈以长春为核心，联动吉林吗？", article, run=10) is not None
    assert copies_article("这个圈以长春为核心吗？", article, run=10) is None


def test_ids_are_unique_and_well_formed():
    ids = _ids(QUESTIONS) + _ids(FOLLOWUPS) + _ids(STYLED)
    duplicates = [item for item, count in Counter(ids).items() if count > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    for row in ANSWERABLE:
        assert re.fullmatch(r"q\d{3}", row["id"]), row
    for row in UNANSWERABLE:
        assert re.fullmatch(r"u\d{3}", row["id"]), row
    for row in FOLLOWUPS:
        assert re.fullmatch(r"f\d{3}", row["id"]), row
    for rows, _, answerable, unanswerable in STYLED_SETS.values():
        for row in rows:
            prefix = answerable if row["answers"] else unanswerable
            assert re.fullmatch(prefix + r"\d{3}", row["id"]), row


def test_questions_are_not_repeated():
    texts = [normalize(row["question"]) for row in QUESTIONS]
    texts += [normalize(row["first"] + "|" + row["followup"]) for row in FOLLOWUPS]
    texts += [normalize(row["question"]) for row in STYLED]  # nor reused in the public-style sets
    duplicates = [item for item, count in Counter(texts).items() if count > 1]
    assert not duplicates, f"questions asked twice: {duplicates}"


def _check_fields(row: dict, styles) -> None:
    assert set(row) == {"id", "question", "answers", "source", "type", "style"}, row
    assert isinstance(row["question"], str) and row["question"].strip(), row
    assert isinstance(row["answers"], list), row
    assert row["style"] in styles, f"{row['id']}: style {row['style']!r} not in {sorted(styles)}"
    if row["answers"]:
        assert all(isinstance(answer, str) and answer for answer in row["answers"]), row
        assert len(set(row["answers"])) == len(row["answers"]), f"{row['id']}: repeated answer"
        assert row["type"] in ANSWER_TYPES, f"{row['id']}: type {row['type']!r}"
        assert isinstance(row["source"], str), row
    else:
        assert row["source"] is None and row["type"] == "none", row


@pytest.mark.parametrize("row", QUESTIONS, ids=_ids(QUESTIONS))
def test_question_fields(row):
    _check_fields(row, STYLES)


@pytest.mark.parametrize("row", QUESTIONS, ids=_ids(QUESTIONS))
def test_style_matches_question(row):
    question = row["question"]
    if row["style"] == "short":
        assert len(question) <= SHORT_MAX_CHARS, f"{row['id']}: {question!r} is not short"
    if row["style"] == "traditional":
        assert is_traditional(question), f"{row['id']}: {question!r} has no traditional characters"
    if row["style"] == "mixed-english":
        assert re.search(r"[A-Za-z0-9]", question), f"{row['id']}: {question!r} has no Latin"


@pytest.mark.parametrize("row", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_gold_answers_are_spans_of_the_source(row):
    article = article_text(row["source"])
    missing = [answer for answer in row["answers"] if answer not in article]
    assert not missing, f"{row['id']}: not in {row['source']}: {missing}"


@pytest.mark.parametrize("row", ANSWERABLE, ids=_ids(ANSWERABLE))
def test_answerable_questions_are_paraphrased(row):
    copied = copies_article(row["question"], article_text(row["source"]))
    assert copied is None, f"{row['id']}: question copies the article: {copied!r}"


@pytest.mark.parametrize("row", FOLLOWUPS, ids=_ids(FOLLOWUPS))
def test_followup_pairs(row):
    assert set(row) == {"id", "first", "followup", "answers", "source"}, row
    assert row["first"].strip() and row["followup"].strip(), row
    assert any(marker in row["followup"] for marker in ANAPHORA), (
        f"{row['id']}: follow-up {row['followup']!r} does not refer back to the first question"
    )
    assert row["answers"], f"{row['id']}: a follow-up needs gold answers"
    article = article_text(row["source"])
    missing = [answer for answer in row["answers"] if answer not in article]
    assert not missing, f"{row['id']}: not in {row['source']}: {missing}"
    for turn in ("first", "followup"):
        copied = copies_article(row[turn], article)
        assert copied is None, f"{row['id']}: {turn} copies the article: {copied!r}"


def test_minimum_counts():
    assert len(ANSWERABLE) >= MIN_ANSWERABLE
    assert len(UNANSWERABLE) >= MIN_UNANSWERABLE
    assert len(FOLLOWUPS) >= MIN_FOLLOWUPS
    questions = [row["question"] for row in ANSWERABLE]
    assert sum(map(is_traditional, questions)) >= MIN_TRADITIONAL
    assert sum(map(has_latin, questions)) >= MIN_MIXED
    assert sum(len(question) <= SHORT_MAX_CHARS for question in questions) >= MIN_SHORT


def test_every_seed_article_is_covered():
    articles = sorted(path.name for path in SEEDS_DIR.glob("*.txt"))
    assert articles, f"no seed articles in {SEEDS_DIR}"
    per_article = Counter(row["source"] for row in ANSWERABLE)
    assert set(per_article) <= set(articles), f"unknown sources: {set(per_article) - set(articles)}"
    thin = {name: per_article[name] for name in articles if per_article[name] < MIN_PER_ARTICLE}
    assert not thin, f"fewer than {MIN_PER_ARTICLE} questions: {thin}"


# --- the public-style sets: eval/public_questions.jsonl (blind), eval/dev_questions.jsonl -------

STYLED_ANSWERABLE = [row for row in STYLED if row["answers"]]


@pytest.mark.parametrize("row", STYLED, ids=_ids(STYLED))
def test_public_question_fields(row):
    _check_fields(row, PUBLIC_STYLES)


@pytest.mark.parametrize("row", STYLED, ids=_ids(STYLED))
def test_public_style_matches_question(row):
    test_style_matches_question(row)


@pytest.mark.parametrize("row", STYLED_ANSWERABLE, ids=_ids(STYLED_ANSWERABLE))
def test_public_gold_answers_are_spans_of_the_source(row):
    test_gold_answers_are_spans_of_the_source(row)


@pytest.mark.parametrize("row", STYLED, ids=_ids(STYLED))
def test_public_questions_do_not_copy_any_article(row):
    """Stricter than the seed set: no run of 10 characters shared with any of the articles."""
    for source in sorted(path.name for path in SEEDS_DIR.glob("*.txt")):
        copied = copies_article(row["question"], article_text(source), run=PUBLIC_COPY_RUN_CHARS)
        assert copied is None, f"{row['id']}: question copies {source}: {copied!r}"


def test_public_questions_are_not_seed_questions():
    seed = {normalize(row["question"]) for row in QUESTIONS}
    seed |= {normalize(row[turn]) for row in FOLLOWUPS for turn in ("first", "followup")}
    reused = [row["id"] for row in STYLED if normalize(row["question"]) in seed]
    assert not reused, f"public-style questions copied from the seed sets: {reused}"


@pytest.mark.parametrize("name", sorted(STYLED_SETS))
def test_public_minimum_counts(name):
    rows, total, _, _ = STYLED_SETS[name]
    answerable = [row for row in rows if row["answers"]]
    assert len(rows) == total
    assert len(answerable) >= PUBLIC_MIN_ANSWERABLE
    assert len(rows) - len(answerable) >= PUBLIC_MIN_UNANSWERABLE
    assert all(row["style"] != "off-topic" for row in rows)
    questions = [row["question"] for row in answerable]
    assert sum(map(is_traditional, questions)) >= MIN_TRADITIONAL
    assert sum(map(has_latin, questions)) >= MIN_MIXED
    assert sum(len(question) <= SHORT_MAX_CHARS for question in questions) >= MIN_SHORT
    styles = Counter(row["style"] for row in answerable)
    assert styles["two-sentence"] >= PUBLIC_MIN_TWO_SENTENCE, styles
    assert {row["type"] for row in answerable} == ANSWER_TYPES


@pytest.mark.parametrize("name", sorted(STYLED_SETS))
def test_public_set_covers_every_seed_article(name):
    rows = STYLED_SETS[name][0]
    articles = sorted(path.name for path in SEEDS_DIR.glob("*.txt"))
    assert articles, f"no seed articles in {SEEDS_DIR}"
    per_article = Counter(row["source"] for row in rows if row["answers"])
    assert set(per_article) <= set(articles), f"unknown sources: {set(per_article) - set(articles)}"
    floor = PUBLIC_MIN_PER_ARTICLE
    thin = {name: per_article[name] for name in articles if per_article[name] < floor}
    assert not thin, f"fewer than {floor} questions: {thin}"

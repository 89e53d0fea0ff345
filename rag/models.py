"""Plain frozen dataclasses that the pipeline stages hand to each other.

Every span carries character offsets into the *cleaned* document text, so that
``document.text[start:end]`` is exactly the span's text.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Removal:
    """Something cleaning took out of a raw article, kept so nothing disappears silently."""

    line: int  # 1-based line number in the raw file
    text: str
    reason: str  # e.g. "page-furniture", "byline", "duplicated-layer", "orphan-fragment"


@dataclass(frozen=True)
class Paragraph:
    """A block of the cleaned text: body text, a section heading, a photo caption or a credit
    line (byline, photo credit, editor line) at the end."""

    start: int
    end: int
    kind: str  # "body" | "heading" | "caption" | "credits"
    section: str  # heading of the section the block belongs to ("" before the first)


@dataclass(frozen=True)
class Document:
    """One cleaned article with the metadata a citation needs."""

    doc_id: str
    source: str  # original file name (or JSONL id)
    title: str
    text: str  # cleaned text; paragraphs are separated by "\n"
    paragraphs: tuple[Paragraph, ...]
    subtitle: str = ""
    newspaper: str = ""
    date: str | None = None  # ISO date, only when the article states it
    page: str = ""
    authors: tuple[str, ...] = ()
    removed: tuple[Removal, ...] = ()


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Passage:
    """A retrieval unit: whole sentences of one paragraph, with its section as context."""

    passage_id: str
    doc_id: str
    source: str
    title: str
    section: str
    paragraph: int  # 1-based number of the paragraph within the document's body paragraphs
    start: int
    end: int
    text: str
    kind: str = "body"  # "body" | "caption" | "credits"


@dataclass(frozen=True)
class Hit:
    """A passage returned by retrieval with its fused score and the scores it came from."""

    passage: Passage
    score: float
    lexical: float | None = None
    dense: float | None = None


@dataclass(frozen=True)
class Citation:
    number: int  # [1], [2], ... in the order shown to the user
    doc_id: str
    source: str
    passage_id: str
    title: str
    newspaper: str
    date: str | None
    section: str
    paragraph: int
    quote: str  # the sentence quoted from the passage


@dataclass(frozen=True)
class Answer:
    """An extractive answer: ``text`` is ``document.text[start:end]``, inside ``sentence``."""

    text: str
    sentence: str
    doc_id: str
    source: str
    passage_id: str
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    score: float
    answer_type: str = ""


@dataclass(frozen=True)
class SearchFilters:
    doc_ids: tuple[str, ...] = ()
    newspapers: tuple[str, ...] = ()
    date_from: str | None = None  # inclusive ISO dates
    date_to: str | None = None


@dataclass(frozen=True)
class Result:
    """What ``ask`` returns: an answer or none, the supporting hits and their citations."""

    question: str
    answer: Answer | None
    hits: tuple[Hit, ...]
    citations: tuple[Citation, ...]
    message: str = ""  # shown when there is no answer, e.g. "资料中没有找到…"
    notes: tuple[str, ...] = field(default_factory=tuple)

"""Steps 1–3 of cleaning (``rag.corpus.cleaning``): raw lines → blocks, with page furniture,
bylines and photo credits marked removed: ``read_blocks(raw, removed) -> (blocks, page, authors)``."""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, replace

from rag.corpus.blocks import CAPTION_END, CAPTION_MAX, CJK, HEADING_MAX, Block
from rag.models import Removal

_DOUBLING_MARKS = frozenset("。，、；：（）“”‘’《》【】「」『』()")  # never doubled in prose
_PHOTO_ARROWS = "▲◀▼▶►◄△▽"
_UNDOUBLE_LINE_MIN = 8  # a whole line of repeated chunks is a doubled layer from this length
_UNDOUBLE_DISTINCT_MIN = 4  # …and with this many different characters (not 哈哈哈哈)
_UNDOUBLE_CHUNK_MAX = 60
_NAME = rf"[{CJK}·]{{2,5}}"
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+")
_PAGE_NUMBER = re.compile(r"^(?:第\s*)?([A-Z]?\d{1,3})\s*版?$")
_ISSUE_LABEL = re.compile(rf"^[{CJK}]{{2,8}}(?:特刊|专刊|周刊|副刊|专版)$")
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_DATE_HEADER = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日\s*(?:星期|周)[一二三四五六日天]")
_EDITOR_LINE = re.compile(r"(?:^|\s)(?:责任编辑|编辑|版式设计|美术编辑|美编|校对|组版|照排)[\s：:]")
_ISSUE_NUMBER = re.compile(r"^(?:总)?第\s*\d+\s*期$")
_MASTHEAD = re.compile(rf"^[{CJK}]{{2,6}}(?:日报|晚报|早报|时报|商报|都市报|青年报|经济报)$")
_LATIN_CAPS = re.compile(r"^(?=.*[A-Z].*[A-Z])[A-Z0-9 '’&.,/\-]+$")
_DASH_LABEL = re.compile(r"^[—－-]{2,}\s*\S{2,8}\s*[—－-]{2,}$")
_BYLINE_ROLE = r"(?:本报特约记者|本报记者|本报通讯员|特约记者|记者|通讯员)"
_BYLINE = re.compile(rf"^(?:{_BYLINE_ROLE}[\s：:]*{_NAME}(?:[\s、，,]+{_NAME})*\s*)+$")
_BYLINE_PART = re.compile(rf"{_BYLINE_ROLE}[\s：:]*((?:{_NAME}[\s、，,]*)+)")
_CREDIT_LINE = re.compile(
    rf"^[（(]?(?:本版图片.*|(?:图片|照片)?由.{{1,40}}提供"
    rf"|(?:{_BYLINE_ROLE})?\s*{_NAME}(?:[\s、]+{_NAME})*\s*摄|图[/／：:].{{1,30}})[）)]?$"
)
_TRAILING_CREDIT = re.compile(
    rf"(?<=[{CAPTION_END}])\s*(?:[（(][^（）()]{{2,40}}(?:提供|摄)[）)]"
    rf"|(?:{_BYLINE_ROLE})?\s*{_NAME}(?:[\s、]+{_NAME})*\s*摄)$"
)


@dataclass(frozen=True)
class Page:
    """What the page furniture told about the article."""

    newspaper: str = ""
    date: str | None = None
    number: str = ""
    label: str = ""

    def page(self) -> str:
        number = f"{self.number}版" if self.number else ""
        return " · ".join(part for part in (number, self.label) if part)


def read_blocks(raw: str, removed: list[Removal]) -> tuple[list[Block], Page, list[str]]:
    """One block per non-blank line; furniture, bylines and credits come back as removed blocks."""
    blocks: list[Block] = []
    page = Page()
    authors: list[str] = []
    gap = 0
    in_bold = False
    bold_spans = 0
    for number, line in enumerate(raw.lstrip("\ufeff").splitlines(), start=1):
        text = line.strip()
        level = 0
        if match := _MARKDOWN_HEADING.match(text):
            level = len(match.group(1))
            text = text[match.end() :]
        starts_inside = in_bold
        if text.count("**") % 2:
            in_bold = not in_bold
        bold_span = 0
        if (starts_inside or text.startswith("**")) and (in_bold or text.endswith("**")):
            bold_spans += 0 if starts_inside else 1  # a span continued from the line above
            bold_span = bold_spans
        text = text.replace("**", "").strip()
        flagged = False
        if text[:1] in _PHOTO_ARROWS:
            text, flagged = text[1:].strip(), True
        if not text:
            gap += 1
            continue
        text, doubled = _undouble(text)
        if doubled:
            removed.append(Removal(number, doubled, "duplicated-layer"))
        credit = _TRAILING_CREDIT.search(text)
        if credit and credit.start() <= CAPTION_MAX:  # credits follow captions, which are short
            removed.append(Removal(number, credit.group().strip(), "photo-credit"))
            text, flagged = text[: credit.start()].rstrip(), True
        reason, page = _furniture(text, page)
        if reason is None and _CREDIT_LINE.match(text):  # before bylines: "本报记者 潘硕摄"
            reason = "photo-credit"
        elif reason is None and _BYLINE.match(text):
            reason = "byline"
            for part in _BYLINE_PART.finditer(text):
                authors.extend(re.split(r"[\s、，,]+", part.group(1).strip()))
        if reason == "page-furniture" and _LATIN_CAPS.match(text):
            _remove_logo_name(blocks)
        blocks.append(
            Block(
                ((number, text),),
                text,
                gap,
                role="removed" if reason else "text",
                reason=reason or "",
                level=level,
                bold_span=bold_span,
                flagged=flagged,
            )
        )
        gap = 0
    return blocks, page, authors


def credit_text(removal: Removal) -> str | None:
    """What a removed line says about who made the article: a byline or photo credit as it
    stood, an editor line from its first role on (``编辑 陈庆松 张沈月 版式设计 边大勇``, without
    the date before it); None for any other removal."""
    if removal.reason in ("byline", "photo-credit"):
        return removal.text
    if removal.reason == "page-furniture" and (role := _EDITOR_LINE.search(removal.text)):
        return removal.text[role.start() :].strip()
    return None


def _furniture(text: str, page: Page) -> tuple[str | None, Page]:
    """``("page-furniture", page with what the line told)`` or ``(None, page)``."""
    if match := _PAGE_NUMBER.match(text):
        return "page-furniture", replace(page, number=page.number or match.group(1))
    if _ISSUE_LABEL.match(text):
        return "page-furniture", replace(page, label=page.label or text)
    if _MASTHEAD.match(text):
        return "page-furniture", replace(page, newspaper=page.newspaper or text)
    if _DATE_HEADER.match(text) or (_EDITOR_LINE.search(text) and len(text) <= 80):
        if (match := _DATE.search(text)) and page.date is None:
            page = replace(page, date=_iso_date(*match.groups()))
        return "page-furniture", page
    if _ISSUE_NUMBER.match(text) or _LATIN_CAPS.match(text) or _DASH_LABEL.match(text):
        return "page-furniture", page
    return None, page


def _iso_date(year: str, month: str, day: str) -> str | None:
    try:
        return datetime.date(int(year), int(month), int(day)).isoformat()
    except ValueError:  # a misprinted date is no date
        return None


def _remove_logo_name(blocks: list[Block]) -> None:
    """A Latin capitals line is a logo; the unpunctuated Chinese line right above is its name."""
    if not blocks or blocks[-1].role != "text":
        return
    above = blocks[-1]
    if len(above.text) <= HEADING_MAX and re.fullmatch(rf"[{CJK}]+", above.text):
        blocks[-1] = replace(above, role="removed", reason="page-furniture")


def _undouble(text: str) -> tuple[str, str]:
    """``(text with doubled layers halved, the removed copies)``; see rule 1 of the module."""
    length = len(text)
    # best[i]: most characters from i on that can be covered by back-to-back repeated chunks.
    best = [0] * (length + 1)
    choice = [0] * (length + 1)  # chunk length taken at i, 0 = keep one character
    for i in range(length - 1, -1, -1):
        best[i], choice[i] = best[i + 1], 0
        for size in range(min(_UNDOUBLE_CHUNK_MAX, (length - i) // 2), 0, -1):
            if text[i : i + size] == text[i + size : i + 2 * size]:
                covered = 2 * size + best[i + 2 * size]
                if covered > best[i]:
                    best[i], choice[i] = covered, size
    runs: list[list[tuple[int, int]]] = []  # runs of consecutive (start, chunk size)
    i, previous_end = 0, -1
    while i < length:
        size = choice[i]
        if size == 0:
            i += 1
            continue
        if i == previous_end:
            runs[-1].append((i, size))
        else:
            runs.append([(i, size)])
        i += 2 * size
        previous_end = i
    doubled_line = (
        len(runs) == 1
        and runs[0][0][0] == 0
        and previous_end == length
        and length >= _UNDOUBLE_LINE_MIN
        and len(set(text)) >= _UNDOUBLE_DISTINCT_MIN
    )
    kept, dropped, cursor = [], [], 0
    for run in runs:
        has_marks = any(
            all(char in _DOUBLING_MARKS for char in text[start : start + size])
            for start, size in run
        )
        if not (has_marks or doubled_line):
            continue
        for start, size in run:
            kept.append(text[cursor : start + size])
            dropped.append(text[start + size : start + 2 * size])
            cursor = start + 2 * size
    kept.append(text[cursor:])
    return "".join(kept), "".join(dropped)

"""Clean one raw newspaper article into paragraphs: ``clean_article(raw) -> CleanedArticle``.

The raw articles are text pulled out of laid-out newspaper pages, so they carry the page
around the article and the damage done by the extraction. The rules below are general (no
article is special-cased) and run in this order:

1. **Lines.** Each line is stripped of white space and of the markdown the extraction left:
   ``#`` heading marks (the level is kept as a heading signal) and ``**`` bold (a line that is
   bold as a whole is a heading signal). A leading photo arrow (▲◀▼▶) marks a caption and
   is dropped. Text doubled by two overlapping text layers (``龙首山龙首山。。（（…））``) is
   undoubled: a run of back-to-back repeated chunks is halved only when one of the repeated
   chunks is punctuation that prose never doubles (``。。``, ``，，``, ``（（``…), or when the
   whole line (8+ characters, 4+ different ones) consists of repeated chunks. So ``天天``,
   ``常常``, ``一个个``, ``一处处``, ``……`` and ``——`` stay as they are.
2. **Page furniture** goes: page numbers (``03``), special-issue labels (``两会特刊``),
   date/issue and editor lines (``2026年1月30日 星期五 编辑 … 版式设计 …``), a masthead line
   (``吉林日报``), lines of capital Latin letters (``JILIN DAILY``) together with the Chinese
   name printed just above them (a bilingual logo), and dash-framed labels (``——核心阅读——``).
   The date, page number, label and masthead are kept as metadata.
3. **Bylines** (``本报记者 赵蓓蓓 庞智源``) go to ``authors``; **photo credits** go too, whether
   on a line of their own (``本版图片为资料图片，由…提供``, ``(本版图片均为本报记者闫璐摄)``)
   or after a caption (``…花海。（辽源市西安区委宣传部提供）``, ``…科学城。本报记者 潘硕 摄``).
4. **Title block.** The short, unfinished lines just above the first byline are the title
   (a line ending in ``：`` runs on into the next) and subtitle (e.g. ``——从…``); they leave
   the body and become ``title`` / ``subtitle``.
5. **Headings**: markdown headings, lines bold as a whole, and short unfinished lines with
   balanced quotes and no sentence inside them (≤ 20 characters without a comma, or ≤ 32 when
   words are spaced apart like ``破壁 织密“同城化”交通网``). Heading lines directly under each
   other become one heading; a speaker line (``省发展改革委主任 李平：``) runs into the heading
   under it; a ``——`` line under a heading is that heading's second part.
6. **Hard wraps.** A body line that does not end a sentence continues in the next body line,
   also across one blank line, but never across a wide gap (two or more blank lines separate
   layout blocks), never into a heading or caption, and only when the quotes and brackets
   stay balanced (a continuation may close a quote only if the line before opened one).
   A line of bare punctuation (``……``) joins the paragraph before it.
7. **Captions**: runs of short single sentences (≤ 40 characters, ending in 。！？) that stand
   apart from the body — a wide gap before them that does not follow a heading, and a wide
   gap, a heading or removed furniture after them — and the lines from one that carries a
   credit or photo arrow on. They stay as ``kind="caption"`` paragraphs.
8. **Column cuts.** Where the page layout cut a column, a paragraph ends mid-sentence (a
   *dangling* paragraph) and its continuation sits elsewhere as a paragraph that starts
   mid-sentence. The two are rejoined only when that pairing is the only one possible on both
   sides: the continuation must close exactly the quotes the dangling paragraph left open and
   must show that it starts mid-sentence — it closes a quote it never opened, starts with
   punctuation, or it starts with a one-character word that forms one dictionary word with the
   one-character word ending the dangling paragraph (``断面全`` + ``部达到`` → ``全部``).
   Unpaired paragraphs are kept as they are, never dropped, except an *orphan fragment*: an
   unpaired mid-sentence start of at most 12 characters holding no sentence of its own
   (``公文化”。``), which is removed.
9. **Leftovers.** A heading with nothing under it before the next heading is an orphan
   fragment, unless it is a markdown heading over sub-headings; one at the very end is page
   furniture. A body paragraph repeated inside another (a pull quote) is a duplicate.

Nothing goes silently: every removed piece becomes a ``Removal`` with its raw line number.
"""
from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import jieba

from rag.models import Paragraph, Removal


@dataclass(frozen=True)
class CleanedArticle:
    """A cleaned article: ``text[p.start:p.end]`` is paragraph ``p``; paragraphs joined by "\\n".

    ``title``, ``subtitle``, ``newspaper``, ``date`` (ISO) and ``page`` are what the article's
    own text showed (title block, masthead, page header); empty when it showed nothing.
    """

    text: str
    paragraphs: tuple[Paragraph, ...]
    removed: tuple[Removal, ...]
    authors: tuple[str, ...] = ()
    title: str = ""
    subtitle: str = ""
    newspaper: str = ""
    date: str | None = None
    page: str = ""


# --- characters -------------------------------------------------------------------------------

_OPENERS = "“‘「『（(《【〈"
_CLOSERS = "”’」』）)》】〉"
_PARAGRAPH_END = "。！？!?；;…：:—."  # a paragraph may end on these (after closing quotes)
_SENTENCE_END = "。！？!?"
_CAPTION_END = "。！？"
_NO_SENTENCE_START = "，、。；：！？,.;:!?" + _CLOSERS
_DOUBLING_MARKS = frozenset("。，、；：（）“”‘’《》【】「」『』()")  # never doubled in prose
_PHOTO_ARROWS = "▲◀▼▶►◄△▽"

# --- thresholds (properties of newspaper layout, not tunable settings) ------------------------

_WIDE_GAP = 2  # blank lines that separate layout blocks rather than paragraphs
_HEADING_MAX = 20  # characters of an unspaced heading
_SPACED_HEADING_MAX = 32  # characters of a heading whose words are spaced apart
_BOLD_HEADING_MAX = 40
_TITLE_LINE_MAX = 40
_TITLE_LINES_MAX = 4
_TITLE_LEAD_MAX = 12  # a title's lead-in line ending in a colon: "辽源市："
_CAPTION_MAX = 40
_ORPHAN_MAX = 12
_SPEAKER_MAX = 24  # "省发展改革委主任 李平："
_UNDOUBLE_LINE_MIN = 8  # a whole line of repeated chunks is a doubled layer from this length
_UNDOUBLE_DISTINCT_MIN = 4  # …and with this many different characters (not 哈哈哈哈)
_UNDOUBLE_CHUNK_MAX = 60
_DUPLICATE_MIN = 8
_BOUNDARY_WINDOW = 6  # characters each side of a column cut given to the segmenter

# --- patterns ---------------------------------------------------------------------------------

_CJK = r"\u4e00-\u9fff\u3400-\u4dbf"
_NAME = rf"[{_CJK}·]{{2,5}}"
_SPACED = re.compile(rf"[{_CJK}”’」』）]\s+[{_CJK}“‘「『（]")
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+")
_PAGE_NUMBER = re.compile(r"^(?:第\s*)?([A-Z]?\d{1,3})\s*版?$")
_ISSUE_LABEL = re.compile(rf"^[{_CJK}]{{2,8}}(?:特刊|专刊|周刊|副刊|专版)$")
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_DATE_HEADER = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日\s*(?:星期|周)[一二三四五六日天]")
_EDITOR_LINE = re.compile(r"(?:^|\s)(?:责任编辑|编辑|版式设计|美术编辑|美编|校对|组版|照排)[\s：:]")
_ISSUE_NUMBER = re.compile(r"^(?:总)?第\s*\d+\s*期$")
_MASTHEAD = re.compile(rf"^[{_CJK}]{{2,6}}(?:日报|晚报|早报|时报|商报|都市报|青年报|经济报)$")
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
    rf"(?<=[{_CAPTION_END}])\s*(?:[（(][^（）()]{{2,40}}(?:提供|摄)[）)]"
    rf"|(?:{_BYLINE_ROLE})?\s*{_NAME}(?:[\s、]+{_NAME})*\s*摄)$"
)


@dataclass(frozen=True)
class _Block:
    """One or more raw lines on their way to becoming a paragraph (or a removal)."""

    parts: tuple[tuple[int, str], ...]  # (raw line number, that line's cleaned text)
    text: str
    gap: int  # blank lines before the first line
    role: str = "text"  # "text" | "heading" | "body" | "caption" | "removed"
    reason: str = ""  # why a "removed" block was removed
    level: int = 0  # markdown heading level, 0 when unmarked
    bold_span: int = 0  # id of the bold span the whole line sits in, 0 when none
    flagged: bool = False  # carries caption evidence: a photo arrow or a credit


@dataclass(frozen=True)
class _Page:
    """What the page furniture told about the article."""

    newspaper: str = ""
    date: str | None = None
    number: str = ""
    label: str = ""

    def page(self) -> str:
        number = f"{self.number}版" if self.number else ""
        return " · ".join(part for part in (number, self.label) if part)


def clean_article(raw: str) -> CleanedArticle:
    """Clean the raw text of one newspaper article (see the module docstring for the rules).

    Args:
        raw: the article as extracted, lines separated by any newline convention.

    Returns:
        The cleaned text with its paragraphs, every removal, and the metadata found.
    """
    removed: list[Removal] = []
    blocks, page, authors = _read_blocks(raw, removed)
    blocks, title, subtitle = _take_title_block(blocks)
    blocks = _merge_headings(_mark_headings(blocks))
    blocks = _mark_captions(_join_wraps(blocks))
    blocks = _drop_empty_headings(_drop_orphans(_repair_column_cuts(blocks)))
    blocks = _drop_duplicates(blocks)
    text, paragraphs = _assemble(blocks)
    removed.extend(
        Removal(line, line_text, block.reason)
        for block in blocks
        if block.role == "removed"
        for line, line_text in block.parts
    )
    return CleanedArticle(
        text=text,
        paragraphs=paragraphs,
        removed=tuple(sorted(removed, key=lambda removal: removal.line)),
        authors=tuple(dict.fromkeys(authors)),
        title=title,
        subtitle=subtitle,
        newspaper=page.newspaper,
        date=page.date,
        page=page.page(),
    )


# --- 1–3: lines, furniture, bylines, credits --------------------------------------------------


def _read_blocks(raw: str, removed: list[Removal]) -> tuple[list[_Block], _Page, list[str]]:
    """One block per non-blank line; furniture, bylines and credits come back as removed blocks."""
    blocks: list[_Block] = []
    page = _Page()
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
        if credit and credit.start() <= _CAPTION_MAX:  # credits follow captions, which are short
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
            _Block(
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


def _furniture(text: str, page: _Page) -> tuple[str | None, _Page]:
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


def _remove_logo_name(blocks: list[_Block]) -> None:
    """A Latin capitals line is a logo; the unpunctuated Chinese line right above is its name."""
    if not blocks or blocks[-1].role != "text":
        return
    above = blocks[-1]
    if len(above.text) <= _HEADING_MAX and re.fullmatch(rf"[{_CJK}]+", above.text):
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


# --- 4: title block ---------------------------------------------------------------------------


def _take_title_block(blocks: list[_Block]) -> tuple[list[_Block], str, str]:
    """Remove the title lines above the first byline; return them as title and subtitle."""
    byline = next((i for i, block in enumerate(blocks) if block.reason == "byline"), None)
    if byline is None:
        return blocks, "", ""
    indices: list[int] = []
    for i in range(byline - 1, -1, -1):
        if len(indices) == _TITLE_LINES_MAX or not _title_like(blocks[i]):
            break
        indices.append(i)
    if not indices:
        return blocks, "", ""
    lines = [blocks[i].text for i in reversed(indices)]
    title = lines.pop(0).lstrip("—").strip()
    while title.endswith(("：", ":")) and lines:
        title += lines.pop(0)
    subtitle = " ".join(line.lstrip("—").strip() for line in lines)
    blocks = [
        replace(block, role="removed", reason="title") if i in indices else block
        for i, block in enumerate(blocks)
    ]
    return blocks, title, subtitle


def _title_like(block: _Block) -> bool:
    text = block.text
    if block.role != "text" or block.flagged or len(text) > _TITLE_LINE_MAX:
        return False
    if text.startswith("——"):
        return True
    if text.endswith(("：", ":")):
        return len(text) <= _TITLE_LEAD_MAX
    return _is_open(text) and _balance(text) == (0, 0)


# --- 5: headings ------------------------------------------------------------------------------


def _mark_headings(blocks: list[_Block]) -> list[_Block]:
    return [
        replace(block, role="heading" if _is_heading(block) else "body")
        if block.role == "text"
        else block
        for block in blocks
    ]


def _is_heading(block: _Block) -> bool:
    text = block.text
    if block.level:
        return True
    if block.flagged or any(char in _SENTENCE_END + "；;" for char in text):
        return False
    if block.bold_span:
        return len(text) <= _BOLD_HEADING_MAX
    if not _is_open(text) or _balance(text) != (0, 0):
        return False
    if _SPACED.search(text):
        return len(text) <= _SPACED_HEADING_MAX
    return len(text) <= _HEADING_MAX and "，" not in text and "," not in text


def _merge_headings(blocks: list[_Block]) -> list[_Block]:
    merged: list[_Block] = []
    for block in blocks:
        previous = merged[-1] if merged else None
        if previous is not None and block.role == "heading":
            same_bold = block.bold_span and block.bold_span == previous.bold_span
            stacked = (
                block.gap == 0
                and previous.role == "heading"
                and block.level == previous.level
            )
            speaker = (
                block.gap == 0
                and previous.role == "body"
                and previous.text.endswith(("：", ":"))
                and len(previous.text) <= _SPEAKER_MAX
            )
            second_part = (
                previous.role == "heading"
                and block.text.startswith("——")
                and block.gap < _WIDE_GAP
            )
            if same_bold or stacked:
                merged[-1] = _combine(previous, block, " ", role="heading")
                continue
            if speaker or second_part:
                merged[-1] = _combine(previous, block, "", role="heading")
                continue
        merged.append(block)
    return merged


def _combine(first: _Block, second: _Block, separator: str, role: str) -> _Block:
    return replace(
        first,
        parts=first.parts + second.parts,
        text=first.text + separator + second.text,
        role=role,
        level=first.level or second.level,
        bold_span=second.bold_span,
        flagged=first.flagged or second.flagged,
    )


# --- 6: hard wraps ----------------------------------------------------------------------------


def _join_wraps(blocks: list[_Block]) -> list[_Block]:
    joined: list[_Block] = []
    previous_body: int | None = None  # index in joined of the body block a line may continue
    widest_gap = 0  # widest gap since that body block
    for block in blocks:
        widest_gap = max(widest_gap, block.gap)
        if block.role == "removed":
            joined.append(block)
            continue
        if block.role == "body" and previous_body is not None and widest_gap < _WIDE_GAP:
            before = joined[previous_body]
            punctuation_only = not any(char.isalnum() for char in block.text)
            if punctuation_only or (not block.flagged and _continues(before.text, block.text)):
                joined[previous_body] = _combine(before, block, "", role="body")
                widest_gap = 0
                continue
        joined.append(block)
        previous_body = len(joined) - 1 if block.role == "body" and not block.flagged else None
        widest_gap = 0
    return joined


def _continues(before: str, after: str) -> bool:
    """``after`` can be the rest of the sentence ``before`` leaves unfinished."""
    deficit, _ = _balance(after)
    return _is_open(before) and deficit <= _balance(before)[1]


# --- 7: captions ------------------------------------------------------------------------------


def _mark_captions(blocks: list[_Block]) -> list[_Block]:
    live = [i for i, block in enumerate(blocks) if block.role != "removed"]
    runs: list[list[int]] = []  # runs of caption-like body blocks, each a list of indices
    previous: int | None = None
    for i in live:
        block = blocks[i]
        if block.role == "body" and (block.flagged or _caption_like(block)):
            if (
                runs
                and runs[-1][-1] == previous
                and block.gap < _WIDE_GAP
                and not _removed_between(blocks, previous, i)
            ):
                runs[-1].append(i)
            else:
                runs.append([i])
        previous = i
    marked = list(blocks)
    for run in runs:
        flagged = [position for position, i in enumerate(run) if blocks[i].flagged]
        # Caption evidence covers the lines from the first flagged one on, not the lines above.
        captions = run if _stands_apart(blocks, live, run) else run[flagged[0] :] if flagged else []
        for i in captions:
            marked[i] = replace(blocks[i], role="caption")
    return marked


def _caption_like(block: _Block) -> bool:
    text = block.text.rstrip(_CLOSERS)
    return (
        len(block.text) <= _CAPTION_MAX
        and text[-1:] in tuple(_CAPTION_END)
        and sum(char in _SENTENCE_END for char in block.text) <= 1
        and _balance(block.text) == (0, 0)
    )


def _stands_apart(blocks: Sequence[_Block], live: list[int], run: list[int]) -> bool:
    """A wide gap before the run (not right under a heading); a gap, heading or removal after."""
    first, last = live.index(run[0]), live.index(run[-1])
    before = live[first - 1] if first > 0 else None
    after = live[last + 1] if last + 1 < len(live) else None
    # A heading's first paragraph may sit after a wide gap too, so that gap proves nothing.
    apart_before = blocks[run[0]].gap >= _WIDE_GAP and (
        before is None or blocks[before].role != "heading"
    )
    removed_after = any(block.role == "removed" for block in blocks[run[-1] + 1 : after])
    apart_after = removed_after or (
        after is not None and (blocks[after].gap >= _WIDE_GAP or blocks[after].role == "heading")
    )
    return apart_before and apart_after


def _removed_between(blocks: Sequence[_Block], first: int, second: int) -> bool:
    return any(block.role == "removed" for block in blocks[first + 1 : second])


# --- 8: column cuts ---------------------------------------------------------------------------


def _repair_column_cuts(blocks: list[_Block]) -> list[_Block]:
    bodies = [i for i, block in enumerate(blocks) if block.role == "body"]
    dangling = [i for i in bodies if _is_open(blocks[i].text)]
    pairs = {
        d: [o for o in bodies if o != d and _continues_cut(blocks[d].text, blocks[o].text)]
        for d in dangling
    }
    repaired = list(blocks)
    moved: set[int] = set()
    for d, candidates in pairs.items():
        if len(candidates) != 1:
            continue
        o = candidates[0]
        if sum(o in others for others in pairs.values()) != 1 or o in moved or d in moved:
            continue
        # repaired[o], not blocks[o]: the continuation may have had its own continuation joined.
        repaired[d] = _combine(repaired[d], repaired[o], "", role="body")
        moved.add(o)
    return [block for i, block in enumerate(repaired) if i not in moved]


def _continues_cut(before: str, after: str) -> bool:
    """``after`` starts mid-sentence and can only be the rest of ``before``'s last sentence."""
    deficit, _ = _balance(after)
    if deficit != _balance(before)[1]:
        return False
    return deficit > 0 or after[0] in _NO_SENTENCE_START or _boundary_word(before, after)


def _starts_mid_sentence(text: str) -> bool:
    return _balance(text)[0] > 0 or text[0] in _NO_SENTENCE_START


@lru_cache(maxsize=1)
def _segmenter() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)  # jieba logs "Building prefix dict…" otherwise
    return jieba.Tokenizer()


def _boundary_word(before: str, after: str) -> bool:
    """A lone last character of ``before`` and lone first character of ``after`` form a word."""
    tail, head = before[-_BOUNDARY_WINDOW:], after[:_BOUNDARY_WINDOW]
    if not (re.fullmatch(rf"[{_CJK}]", tail[-1:]) and re.fullmatch(rf"[{_CJK}]", head[:1])):
        return False
    segmenter = _segmenter()
    if len(list(segmenter.cut(tail, HMM=False))[-1]) != 1:
        return False
    if len(next(iter(segmenter.cut(head, HMM=False)))) != 1:
        return False
    position = 0
    for word in segmenter.cut(tail + head, HMM=False):
        if position < len(tail) < position + len(word):
            return True
        position += len(word)
    return False


# --- 9: leftovers -----------------------------------------------------------------------------


def _drop_orphans(blocks: list[_Block]) -> list[_Block]:
    return [
        replace(block, role="removed", reason="orphan-fragment")
        if block.role == "body"
        and len(block.text) <= _ORPHAN_MAX
        and _starts_mid_sentence(block.text)
        and sum(char in _SENTENCE_END for char in block.text) <= 1
        else block
        for block in blocks
    ]


def _drop_empty_headings(blocks: list[_Block]) -> list[_Block]:
    kept = list(blocks)
    for i, block in enumerate(blocks):
        if block.role != "heading":
            continue
        following = next((b for b in blocks[i + 1 :] if b.role != "removed"), None)
        if following is None:
            kept[i] = replace(block, role="removed", reason="page-furniture")
        elif following.role == "heading" and not block.level:
            kept[i] = replace(block, role="removed", reason="orphan-fragment")
    return kept


def _drop_duplicates(blocks: list[_Block]) -> list[_Block]:
    """Remove a body paragraph whose text already stands inside another one (a pull quote)."""
    texts = [re.sub(r"\s+", "", block.text) if block.role == "body" else "" for block in blocks]
    kept = list(blocks)
    for i, text in enumerate(texts):
        if len(text) < _DUPLICATE_MIN:
            continue
        for j, other in enumerate(texts):
            if j != i and text in other and (len(other) > len(text) or j < i):
                kept[i] = replace(blocks[i], role="removed", reason="duplicate-paragraph")
                break
    return kept


# --- assembly ---------------------------------------------------------------------------------


def _assemble(blocks: list[_Block]) -> tuple[str, tuple[Paragraph, ...]]:
    pieces: list[str] = []
    paragraphs: list[Paragraph] = []
    offset = 0
    section = ""
    for block in blocks:
        if block.role == "removed":
            continue
        if block.role == "heading":
            section = block.text
        paragraphs.append(Paragraph(offset, offset + len(block.text), block.role, section))
        pieces.append(block.text)
        offset += len(block.text) + 1
    return "\n".join(pieces), tuple(paragraphs)


# --- text predicates --------------------------------------------------------------------------


def _is_open(text: str) -> bool:
    """The text stops without ending a sentence (closing quotes after the stop are fine)."""
    core = text.rstrip(_CLOSERS + " ")
    return bool(core) and core[-1] not in _PARAGRAPH_END


def _balance(text: str) -> tuple[int, int]:
    """``(closers with no opener before them, openers still open at the end)``."""
    deficit = depth = 0
    for char in text:
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            if depth:
                depth -= 1
            else:
                deficit += 1
    return deficit, depth

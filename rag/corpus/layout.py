"""Steps 4–9 of cleaning (``rag.corpus.cleaning``): title block, headings, hard wraps, captions,
column cuts and leftovers, then the paragraphs: ``lay_out(blocks)`` and ``assemble(blocks)``."""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

import jieba

from rag.corpus.blocks import CAPTION_END, CAPTION_MAX, CJK, HEADING_MAX, Block
from rag.models import Paragraph

_OPENERS = "“‘「『（(《【〈"
_CLOSERS = "”’」』）)》】〉"
_PARAGRAPH_END = "。！？!?；;…：:—."  # a paragraph may end on these (after closing quotes)
_SENTENCE_END = "。！？!?"
_NO_SENTENCE_START = "，、。；：！？,.;:!?" + _CLOSERS
_WIDE_GAP = 2  # blank lines that separate layout blocks rather than paragraphs
_SPACED_HEADING_MAX = 32  # characters of a heading whose words are spaced apart
_BOLD_HEADING_MAX = 40
_TITLE_LINE_MAX = 40
_TITLE_LINES_MAX = 4
_TITLE_LEAD_MAX = 12  # a title's lead-in line ending in a colon: "辽源市："
_ORPHAN_MAX = 12
_SPEAKER_MAX = 24  # "省发展改革委主任 李平："
_DUPLICATE_MIN = 8
_BOUNDARY_WINDOW = 6  # characters each side of a column cut given to the segmenter
_SPACED = re.compile(rf"[{CJK}”’」』）]\s+[{CJK}“‘「『（]")


def lay_out(blocks: list[Block]) -> tuple[list[Block], str, str]:
    """Steps 4–9 over the blocks of step 1–3: ``(blocks with their roles, title, subtitle)``."""
    blocks, title, subtitle = _take_title_block(blocks)
    blocks = _merge_headings(_mark_headings(blocks))
    blocks = _mark_captions(_join_wraps(blocks))
    blocks = _drop_empty_headings(_drop_orphans(_repair_column_cuts(blocks)))
    return _drop_duplicates(blocks), title, subtitle


def _take_title_block(blocks: list[Block]) -> tuple[list[Block], str, str]:
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


def _title_like(block: Block) -> bool:
    text = block.text
    if block.role != "text" or block.flagged or len(text) > _TITLE_LINE_MAX:
        return False
    if text.startswith("——"):
        return True
    if text.endswith(("：", ":")):
        return len(text) <= _TITLE_LEAD_MAX
    return _is_open(text) and _balance(text) == (0, 0)


# --- 5: headings ------------------------------------------------------------------------------


def _mark_headings(blocks: list[Block]) -> list[Block]:
    return [
        replace(block, role="heading" if _is_heading(block) else "body")
        if block.role == "text"
        else block
        for block in blocks
    ]


def _is_heading(block: Block) -> bool:
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
    return len(text) <= HEADING_MAX and "，" not in text and "," not in text


def _merge_headings(blocks: list[Block]) -> list[Block]:
    merged: list[Block] = []
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


def _combine(first: Block, second: Block, separator: str, role: str) -> Block:
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


def _join_wraps(blocks: list[Block]) -> list[Block]:
    joined: list[Block] = []
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


def _mark_captions(blocks: list[Block]) -> list[Block]:
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


def _caption_like(block: Block) -> bool:
    text = block.text.rstrip(_CLOSERS)
    return (
        len(block.text) <= CAPTION_MAX
        and text[-1:] in tuple(CAPTION_END)
        and sum(char in _SENTENCE_END for char in block.text) <= 1
        and _balance(block.text) == (0, 0)
    )


def _stands_apart(blocks: Sequence[Block], live: list[int], run: list[int]) -> bool:
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


def _removed_between(blocks: Sequence[Block], first: int, second: int) -> bool:
    return any(block.role == "removed" for block in blocks[first + 1 : second])


# --- 8: column cuts ---------------------------------------------------------------------------


def _repair_column_cuts(blocks: list[Block]) -> list[Block]:
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
    if not (re.fullmatch(rf"[{CJK}]", tail[-1:]) and re.fullmatch(rf"[{CJK}]", head[:1])):
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


def _drop_orphans(blocks: list[Block]) -> list[Block]:
    return [
        replace(block, role="removed", reason="orphan-fragment")
        if block.role == "body"
        and len(block.text) <= _ORPHAN_MAX
        and _starts_mid_sentence(block.text)
        and sum(char in _SENTENCE_END for char in block.text) <= 1
        else block
        for block in blocks
    ]


def _drop_empty_headings(blocks: list[Block]) -> list[Block]:
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


def _drop_duplicates(blocks: list[Block]) -> list[Block]:
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


def assemble(blocks: list[Block]) -> tuple[str, tuple[Paragraph, ...]]:
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

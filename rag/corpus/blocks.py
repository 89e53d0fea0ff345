"""What the cleaning steps hand each other: ``Block``, raw lines on their way to becoming a
paragraph, and the measures of newspaper layout both page furniture and layout use."""
from __future__ import annotations

from dataclasses import dataclass

CJK = r"\u4e00-\u9fff\u3400-\u4dbf"
CAPTION_END = "。！？"
HEADING_MAX = 20  # characters of an unspaced heading
CAPTION_MAX = 40


@dataclass(frozen=True)
class Block:
    """One or more raw lines on their way to becoming a paragraph (or a removal)."""

    parts: tuple[tuple[int, str], ...]  # (raw line number, that line's cleaned text)
    text: str
    gap: int  # blank lines before the first line
    role: str = "text"  # "text" | "heading" | "body" | "caption" | "removed"
    reason: str = ""  # why a "removed" block was removed
    level: int = 0  # markdown heading level, 0 when unmarked
    bold_span: int = 0  # id of the bold span the whole line sits in, 0 when none
    flagged: bool = False  # carries caption evidence: a photo arrow or a credit

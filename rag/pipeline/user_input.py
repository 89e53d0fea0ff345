"""Make a user's question or search text safe to process: ``prepare_query(text, max_chars)``.

Control characters (NUL included) become spaces, invisible format characters (zero-width
space and joiner, BOM, direction marks) are dropped, white space is collapsed, text longer
than ``max_chars`` is cut (and the caller is told so), and text with nothing to search
for (empty, only punctuation, symbols or emoji) raises ``QuestionError``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rag.errors import QuestionError

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PreparedQuery:
    text: str
    truncated: bool  # True when the input was longer than max_chars and was cut


def _visible(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Cf":  # invisible inside a word (辽\u200b源): a space would split 辽源 in two
        return ""
    return " " if category.startswith("C") else char


def prepare_query(text: str, max_chars: int) -> PreparedQuery:
    if not isinstance(text, str):
        raise QuestionError("问题必须是文字。")
    visible = "".join(_visible(char) for char in text)
    visible = _SPACE.sub(" ", visible).strip()
    if not visible:
        raise QuestionError("请输入一个问题，例如：辽源什么时候通高铁？")
    if not any(unicodedata.category(char)[0] in "LN" for char in visible):
        raise QuestionError("问题里没有可检索的文字（只有标点或符号），请换一种问法。")
    truncated = len(visible) > max_chars
    return PreparedQuery(visible[:max_chars].rstrip() if truncated else visible, truncated)

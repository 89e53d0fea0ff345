"""Split cleaned documents into retrieval passages: ``build_passages(document, config)``.

A passage is a run of whole sentences from consecutive body paragraphs of one section,
about ``passage_min_chars``–``passage_max_chars`` long, sharing one sentence with its
neighbour so an answer that straddles a boundary is still inside one passage. Captions
become passages of their own (``kind="caption"``), and so do the credit lines, together
(``kind="credits"``: bylines, photo credits, the editor line). A section's heading opens its
first passage (speaker headings such as ``四平市市长 陈德明：…`` hold facts asked about) and
travels with every other passage of the section as retrieval context.
"""
from __future__ import annotations

from dataclasses import dataclass

from rag.config import Config
from rag.models import Document, Paragraph, Passage
from rag.text.segmentation import split_sentences


@dataclass(frozen=True)
class _Unit:
    """A sentence tagged with the paragraph it came from."""

    start: int
    end: int
    paragraph: int  # 1-based number among the document's non-heading paragraphs


def build_passages(document: Document, config: Config) -> list[Passage]:
    """All passages of ``document`` in reading order; ``text == document.text[start:end]``."""
    spans: list[tuple[int, int, str, int, str]] = []  # (start, end, section, paragraph, kind)
    for section, kind, units in _groups(document):
        for window in _windows(units, config):
            spans.append((window[0].start, window[-1].end, section, window[0].paragraph, kind))
    return [
        Passage(
            passage_id=f"{document.doc_id}#p{number:03d}",
            doc_id=document.doc_id,
            source=document.source,
            title=document.title,
            section=section,
            paragraph=paragraph,
            start=start,
            end=end,
            text=document.text[start:end],
            kind=kind,
        )
        for number, (start, end, section, paragraph, kind) in enumerate(spans, start=1)
    ]


def retrieval_text(passage: Passage) -> str:
    """What gets indexed: the passage with its title and section heading as context.

    A passage that opens with its heading does not get it twice.
    """
    section = "" if passage.text.startswith(passage.section) else passage.section
    context = " · ".join(part for part in (passage.title, section) if part)
    return f"{context}\n{passage.text}" if context else passage.text


def _groups(document: Document) -> list[tuple[str, str, list[_Unit]]]:
    """Sentences grouped into runs that a passage may span: one section's body, one caption, or
    the credit lines.

    A heading's sentences join the body paragraph right after it (a passage is one stretch of
    the text, so a caption in between keeps them apart), numbered as that paragraph.
    """
    groups: list[tuple[str, str, list[_Unit]]] = []
    number = 0
    heading: Paragraph | None = None
    for paragraph in document.paragraphs:
        if paragraph.kind == "heading":
            heading = paragraph
            continue
        number += 1
        units = _sentences(document, paragraph, number)
        opens_section = heading is not None and _text(document, heading) == paragraph.section
        if paragraph.kind == "body" and opens_section:
            units = _sentences(document, heading, number) + units
        heading = None
        if not units:
            continue
        extends_run = (  # a section's body, or the credit lines, read on as one run
            paragraph.kind in ("body", "credits")
            and groups
            and groups[-1][1] == paragraph.kind
            and groups[-1][0] == paragraph.section
        )
        if extends_run:
            groups[-1][2].extend(units)
        else:
            groups.append((paragraph.section, paragraph.kind, units))
    return groups


def _text(document: Document, paragraph: Paragraph) -> str:
    return document.text[paragraph.start : paragraph.end]


def _sentences(document: Document, paragraph: Paragraph, number: int) -> list[_Unit]:
    return [
        _Unit(sentence.start, sentence.end, number)
        for sentence in split_sentences(_text(document, paragraph), offset=paragraph.start)
    ]


def _windows(units: list[_Unit], config: Config) -> list[list[_Unit]]:
    """Greedy windows of whole sentences with ``passage_overlap_sentences`` shared."""
    windows: list[list[_Unit]] = []
    current: list[_Unit] = []
    for unit in units:
        if current and _should_close(current, unit, config):
            windows.append(current)
            overlap = config.passage_overlap_sentences
            # Never carry the whole window over: that would repeat it forever.
            current = current[-overlap:] if 0 < overlap < len(current) else []
        current.append(unit)
    if current and not (windows and _covered(current, windows[-1])):
        windows.append(current)
    return windows


def _should_close(current: list[_Unit], following: _Unit, config: Config) -> bool:
    length = current[-1].end - current[0].start
    if following.end - current[0].start > config.passage_max_chars:
        return True
    # Prefer to end at a paragraph boundary once the passage is long enough.
    return length >= config.passage_min_chars and following.paragraph != current[-1].paragraph


def _covered(window: list[_Unit], previous: list[_Unit]) -> bool:
    """True when ``window`` holds only the overlap already at the end of ``previous``."""
    return window[-1].end <= previous[-1].end

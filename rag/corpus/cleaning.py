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

10. **Credits.** The bylines, photo credits and the page's editor line, each as it stood, close
   the text as ``kind="credits"`` paragraphs, so that who wrote, photographed or edited an
   article can be asked, searched and cited (``本报记者 潘硕 摄``); they still count as removals
   from where they stood.

Nothing goes silently: every removed piece becomes a ``Removal`` with its raw line number.
Steps 1–3 are ``rag.corpus.page_furniture``, steps 4–9 ``rag.corpus.layout``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rag.corpus.layout import assemble, lay_out
from rag.corpus.page_furniture import credit_text, read_blocks
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

    @property
    def body(self) -> str:
        """The text without its closing credit lines: what makes two articles the same article."""
        return self.text[: body_end(self.paragraphs)]


def body_end(paragraphs: Sequence[Paragraph]) -> int:
    """Where a cleaned text ends without its closing credit lines."""
    return max((p.end for p in paragraphs if p.kind != "credits"), default=0)


def clean_article(raw: str) -> CleanedArticle:
    """Clean the raw text of one newspaper article (see the module docstring for the rules).

    Args:
        raw: the article as extracted, lines separated by any newline convention.

    Returns:
        The cleaned text with its paragraphs, every removal, and the metadata found.
    """
    removed: list[Removal] = []
    blocks, page, authors = read_blocks(raw, removed)
    blocks, title, subtitle = lay_out(blocks)
    text, paragraphs = assemble(blocks)
    removed.extend(
        Removal(line, line_text, block.reason)
        for block in blocks
        if block.role == "removed"
        for line, line_text in block.parts
    )
    removed.sort(key=lambda removal: removal.line)
    credits = dict.fromkeys(credit for removal in removed if (credit := credit_text(removal)))
    for credit in credits if paragraphs else ():  # credits alone are no article
        start = len(text) + 1
        text = f"{text}\n{credit}"
        paragraphs = (*paragraphs, Paragraph(start, start + len(credit), "credits", ""))
    return CleanedArticle(
        text=text,
        paragraphs=paragraphs,
        removed=tuple(removed),
        authors=tuple(dict.fromkeys(authors)),
        title=title,
        subtitle=subtitle,
        newspaper=page.newspaper,
        date=page.date,
        page=page.page(),
    )

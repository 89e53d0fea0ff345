"""Load a corpus as cleaned documents: ``load_corpus(path) -> Corpus``.

``path`` is one of:

* a folder of newspaper articles (``*.txt`` / ``*.md``), each optionally beside a hand-written
  ``<stem>.json`` sidecar with ``title``, ``subtitle``, ``newspaper``, ``date`` (ISO or null),
  ``page`` and ``authors``. Articles are cleaned with ``rag.corpus.cleaning.clean_article``; what a
  sidecar states wins over what cleaning found. The file name is the document's ``source`` and
  its stem the ``doc_id``. ``userdict.txt`` in the folder is the corpus's jieba word list
  (``user_dictionary``), not an article; files starting with "." are ignored.
* a ``.jsonl`` file with one ``{"id", "title", "text"}`` object per line (e.g. CMRC 2018
  contexts). These are not page scans, so they get light cleaning only: one paragraph per
  non-blank line, stripped. ``id`` is both ``doc_id`` and ``source``.

Control characters (NUL, BEL…) and invisible format characters (zero-width space, direction
marks) are dropped from every document before anything else. A document with no text is skipped, and of two documents with the same cleaned text (or, in
JSONL, the same id) the first is kept; each case adds a line to ``Corpus.warnings``. Anything
that cannot be read raises ``CorpusError`` saying which file (and line or byte) to fix.

``corpus_fingerprint(path)`` hashes every file the loader reads, so an index can tell that the
corpus changed after it was built.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.corpus.cleaning import CleanedArticle, body_end, clean_article
from rag.errors import CorpusError
from rag.models import Document, Paragraph
from rag.text.segmentation import split_sentences

USER_DICT_NAME = "userdict.txt"
ARTICLE_SUFFIXES = (".txt", ".md")
SIDECAR_SUFFIX = ".json"
JSONL_FIELDS = ("id", "title", "text")
_TEXT_FIELDS = ("title", "subtitle", "newspaper", "page")
_SIDECAR_FIELDS = (*_TEXT_FIELDS, "date", "authors")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_USER_DICT_LINE = re.compile(r"^\S+(?: [0-9]+)?(?: [a-z]+)?$")  # jieba: word [freq] [tag]
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Corpus:
    """The loaded documents in file (or line) order, and what the loader had to work around."""

    documents: tuple[Document, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Sidecar:
    """Hand-written metadata of one article; ``None`` means the sidecar does not state it."""

    title: str | None = None
    subtitle: str | None = None
    newspaper: str | None = None
    page: str | None = None
    authors: tuple[str, ...] | None = None
    date: str | None = None
    states_date: bool = False  # a stated null date means "the article gives no date"


def load_corpus(path: Path) -> Corpus:
    """Read and clean every document at ``path`` (a folder of articles or a ``.jsonl`` file).

    Raises:
        CorpusError: the path is missing or holds no documents, a file is not UTF-8, a JSONL
            line or a sidecar is malformed, or two articles share a ``doc_id``.
    """
    path = Path(path)
    if path.is_dir():
        return _load_folder(path)
    if path.is_file() and path.suffix.lower() == ".jsonl":
        return _load_jsonl(path)
    raise _not_a_corpus(path)


def corpus_fingerprint(path: Path) -> str:
    """sha256 over the relative names and bytes of every file ``load_corpus(path)`` reads."""
    path = Path(path)
    if path.is_dir():
        files = _folder_files(path)
    elif path.is_file() and path.suffix.lower() == ".jsonl":
        files = [path]
    else:
        raise _not_a_corpus(path)
    digest = hashlib.sha256()
    # Every file read is directly in the corpus folder (or is the JSONL file): its name is its
    # relative path.
    for name, file in sorted((file.name, file) for file in files):
        data = file.read_bytes()
        # Lengths delimit the fields, so moving bytes between names and contents changes the hash.
        for field in (name.encode("utf-8"), data):
            digest.update(len(field).to_bytes(8, "big"))
            digest.update(field)
    return digest.hexdigest()


def user_dictionary(path: Path) -> tuple[str, ...]:
    """The lines of the corpus folder's ``userdict.txt`` (jieba format), blanks and # comments out.

    A ``.jsonl`` corpus, or a folder without the file, has no user dictionary: ``()``.

    Raises:
        CorpusError: the file is not UTF-8 or a line is not ``word [freq] [tag]``.
    """
    path = Path(path)
    file = path / USER_DICT_NAME
    if not path.is_dir() or not file.is_file():
        return ()
    lines: list[str] = []
    for number, line in enumerate(_LINE_BREAK.split(_read_text(file)), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not _USER_DICT_LINE.match(stripped):
            raise CorpusError(
                f"{file.name} line {number}: {stripped!r} is not 'word [freq] [tag]' "
                "(one word, then optionally a count and a lower-case POS tag, separated by "
                "single spaces); fix the line or start it with # to comment it out."
            )
        lines.append(stripped)
    return tuple(lines)


# --- folder of articles -----------------------------------------------------------------------


def _load_folder(folder: Path) -> Corpus:
    articles = _article_files(folder)
    if not articles:
        raise CorpusError(
            f"No articles in {folder}: put the articles there as .txt or .md files "
            f"({USER_DICT_NAME} is the word list, not an article)."
        )
    warnings = [
        f"{file.name}: no article {file.stem}.txt or {file.stem}.md beside it; ignored."
        for file in sorted(folder.glob(f"*{SIDECAR_SUFFIX}"))
        if not any(article.stem == file.stem for article in articles)
    ]
    return _documents(articles, warnings)


def load_articles(folder: Path, doc_ids: Sequence[str]) -> Corpus:
    """The articles of corpus ``folder`` with these ids, cleaned as ``load_corpus`` cleans them;
    an id with no article in the folder (a deleted one) is left out."""
    wanted = set(doc_ids)
    return _documents([article for article in _article_files(Path(folder)) if article.stem in wanted], [])


def body_digest(document: Document) -> str:
    """sha256 of the text without its closing credit lines: two articles with the same digest
    are the same article (``load_corpus`` keeps the first)."""
    return hashlib.sha256(document.text[: body_end(document.paragraphs)].encode("utf-8")).hexdigest()


def _documents(articles: Sequence[Path], warnings: list[str]) -> Corpus:
    """Clean ``articles`` (in order) into documents; empty ones and repeats are warned of."""
    documents: list[Document] = []
    seen: dict[str, str] = {}  # cleaned body -> source of the first document with it
    for article in articles:
        sidecar_file = article.with_suffix(SIDECAR_SUFFIX)
        sidecar = _sidecar_of(sidecar_file) if sidecar_file.is_file() else _Sidecar()
        cleaned = clean_article(_printable(_read_text(article)))
        if not cleaned.body.strip():
            warnings.append(f"{article.name}: no text left after cleaning; skipped.")
            continue
        if cleaned.body in seen:
            warnings.append(
                f"{article.name}: same text as {seen[cleaned.body]}; kept {seen[cleaned.body]}."
            )
            continue
        seen[cleaned.body] = article.name
        documents.append(_article_document(article, cleaned, sidecar))
    return Corpus(tuple(documents), tuple(warnings))


def _article_files(folder: Path) -> list[Path]:
    articles = sorted(
        (
            file
            for file in folder.iterdir()
            if file.is_file()
            and file.suffix.lower() in ARTICLE_SUFFIXES
            and file.name != USER_DICT_NAME
            and not file.name.startswith(".")
        ),
        key=lambda file: file.name,  # as Path order within one folder, without its cost
    )
    stems: dict[str, Path] = {}
    for article in articles:
        if article.stem in stems:
            raise CorpusError(
                f"{stems[article.stem].name} and {article.name} would both be document "
                f"{article.stem!r}; rename one of them."
            )
        stems[article.stem] = article
    return articles


def _folder_files(folder: Path) -> list[Path]:
    """Articles, their sidecars and the user dictionary: every file the loader reads."""
    articles = _article_files(folder)
    sidecars = [
        sidecar
        for article in articles
        if (sidecar := article.with_suffix(SIDECAR_SUFFIX)).is_file()
    ]
    user_dict = [folder / USER_DICT_NAME] if (folder / USER_DICT_NAME).is_file() else []
    return articles + sidecars + user_dict


def read_sidecar(file: Path) -> dict:
    """The sidecar's JSON object, checked (``check_sidecar``); raises ``CorpusError`` naming the
    file and the field."""
    try:
        data = json.loads(_read_text(file))
    except json.JSONDecodeError as error:
        raise CorpusError(
            f"{file.name}: not valid JSON ({error.msg} at line {error.lineno}, column "
            f"{error.colno}); fix the metadata sidecar or delete it."
        ) from error
    check_sidecar(data, file.name)
    return data


def check_sidecar(data: object, name: str) -> None:
    """Raise ``CorpusError`` naming sidecar ``name`` and the field when ``data`` is not a valid
    sidecar object."""
    if not isinstance(data, dict):
        raise CorpusError(f"{name}: a metadata sidecar must be one JSON object {{…}}.")
    unknown = sorted(set(data) - set(_SIDECAR_FIELDS))
    if unknown:
        raise CorpusError(
            f"{name}: unknown field(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(_SIDECAR_FIELDS)}."
        )
    for field in _TEXT_FIELDS:
        if field in data and not isinstance(data[field], str):
            raise CorpusError(f"{name}: {field!r} must be a string.")
    if "authors" in data and not (
        isinstance(data["authors"], list) and all(isinstance(a, str) for a in data["authors"])
    ):
        raise CorpusError(f"{name}: 'authors' must be a list of names, e.g. [\"赵蓓蓓\"].")
    if data.get("date") is not None and not _is_iso_date(data["date"]):
        raise CorpusError(
            f"{name}: 'date' must be an ISO date like \"2026-01-30\", or null when the "
            f"article gives none (got {data['date']!r})."
        )


def _sidecar_of(file: Path) -> _Sidecar:
    data = read_sidecar(file)
    authors = data.get("authors")
    return _Sidecar(
        **{field: data[field] for field in _TEXT_FIELDS if field in data},
        authors=tuple(authors) if authors is not None else None,
        date=data.get("date"),
        states_date="date" in data,
    )


def _is_iso_date(value: object) -> bool:
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _article_document(article: Path, cleaned: CleanedArticle, sidecar: _Sidecar) -> Document:
    """The cleaned article with metadata: the sidecar's where it states a field, cleaning's else."""
    title = sidecar.title if sidecar.title is not None else cleaned.title
    return Document(
        doc_id=article.stem,
        source=article.name,
        title=title or _first_heading_or_sentence(cleaned) or article.stem,
        text=cleaned.text,
        paragraphs=cleaned.paragraphs,
        subtitle=sidecar.subtitle if sidecar.subtitle is not None else cleaned.subtitle,
        newspaper=sidecar.newspaper if sidecar.newspaper is not None else cleaned.newspaper,
        date=sidecar.date if sidecar.states_date else cleaned.date,
        page=sidecar.page if sidecar.page is not None else cleaned.page,
        authors=sidecar.authors if sidecar.authors is not None else cleaned.authors,
        removed=cleaned.removed,
    )


def _first_heading_or_sentence(cleaned: CleanedArticle) -> str:
    for paragraph in cleaned.paragraphs:
        if paragraph.kind == "heading":
            return cleaned.text[paragraph.start : paragraph.end]
    sentences = split_sentences(cleaned.text)
    return sentences[0].text if sentences else ""


# --- JSONL ------------------------------------------------------------------------------------


def _load_jsonl(file: Path) -> Corpus:
    documents: list[Document] = []
    warnings: list[str] = []
    ids: dict[str, int] = {}  # id -> line number of its first document
    seen: dict[str, str] = {}  # text -> id of the first document with it
    # Split on line feeds only: JSON strings may legally hold U+2028, which splitlines() splits on.
    for number, line in enumerate(_read_text(file).split("\n"), start=1):
        if not line.strip():
            continue
        record = _jsonl_record(file, number, line)
        doc_id = record["id"]
        if doc_id in ids:
            warnings.append(
                f"{file.name} line {number}: id {doc_id!r} already used on line "
                f"{ids[doc_id]}; kept the first."
            )
            continue
        ids[doc_id] = number
        document = _light_document(doc_id, record["title"], record["text"])
        if not document.text:
            warnings.append(f"{file.name} line {number}: document {doc_id!r} has no text; skipped.")
            continue
        if document.text in seen:
            warnings.append(
                f"{file.name} line {number}: document {doc_id!r} has the same text as "
                f"{seen[document.text]!r}; kept {seen[document.text]!r}."
            )
            continue
        seen[document.text] = doc_id
        documents.append(document)
    if not documents:
        raise CorpusError(
            f"No documents in {file}: write one JSON object per line, "
            '{"id": "…", "title": "…", "text": "…"}.'
        )
    return Corpus(tuple(documents), tuple(warnings))


def _jsonl_record(file: Path, number: int, line: str) -> dict[str, str]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise CorpusError(
            f"{file.name} line {number}: not valid JSON ({error.msg} at column {error.colno}); "
            'each line must be one object {"id": "…", "title": "…", "text": "…"}.'
        ) from error
    if not isinstance(record, dict):
        raise CorpusError(
            f"{file.name} line {number}: expected a JSON object "
            '{"id": "…", "title": "…", "text": "…"}.'
        )
    bad = [field for field in JSONL_FIELDS if not isinstance(record.get(field), str)]
    if bad:
        raise CorpusError(
            f"{file.name} line {number}: field(s) {', '.join(bad)} missing or not a string; "
            f"every line needs {', '.join(JSONL_FIELDS)}."
        )
    return {field: record[field] for field in JSONL_FIELDS}


def _light_document(doc_id: str, title: str, text: str) -> Document:
    """One body paragraph per non-blank line, stripped; only control and format characters go."""
    lines = [line.strip() for line in _LINE_BREAK.split(_printable(text))]
    paragraphs: list[Paragraph] = []
    offset = 0
    for line in filter(None, lines):
        paragraphs.append(Paragraph(offset, offset + len(line), "body", ""))
        offset += len(line) + 1
    return Document(
        doc_id=doc_id,
        source=doc_id,
        title=_printable(title).strip(),
        text="\n".join(filter(None, lines)),
        paragraphs=tuple(paragraphs),
    )


# --- shared -----------------------------------------------------------------------------------


def _read_text(file: Path) -> str:
    data = file.read_bytes()
    skipped = len(_BOM) if data.startswith(_BOM) else 0
    try:
        return data[skipped:].decode("utf-8")
    except UnicodeDecodeError as error:
        raise CorpusError(
            f"{file.name}: not valid UTF-8 at byte {skipped + error.start}; "
            "save the file as UTF-8 and try again."
        ) from error


def _printable(text: str) -> str:
    """``text`` without control characters other than white space (NUL, BEL, ESC from a bad
    extraction) and invisible format characters (zero-width space, BOM, direction marks): they
    would otherwise end up inside answers and citations and split words for jieba (辽\u200b源)."""
    return "".join(
        char
        for char in text
        if char.isspace() or unicodedata.category(char) not in ("Cc", "Cf")
    )


def _not_a_corpus(path: Path) -> CorpusError:
    if not path.exists():
        return CorpusError(
            f"Corpus not found: {path}. Pass a folder of .txt/.md articles or a .jsonl file."
        )
    return CorpusError(
        f"{path} is not a corpus: pass a folder of .txt/.md articles or a .jsonl file "
        '(one {"id", "title", "text"} object per line).'
    )

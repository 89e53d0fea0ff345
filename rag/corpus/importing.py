"""Add and delete articles in a corpus folder: ``add_articles(paths, folder)`` / ``delete_articles``.

A newsroom's files become what ``rag.corpus.loading`` reads: ``<stem>.txt`` with a ``<stem>.json``
sidecar of the metadata the file states.

* ``.txt`` / ``.md``: the text as it is, with the sidecar lying beside it if there is one.
* ``.html`` / ``.htm``: the page's main text and its title, date and site name, extracted by
  trafilatura (menus, footers and comments left out).
* ``.docx``: the paragraphs, by python-docx; the title from the document's properties.
* ``.pdf``: the text of each page by pypdf (a text PDF; a scan has none and is refused). A
  newspaper page's furniture (page numbers, dates, mastheads) is left to the cleaning, as for
  any article, and gives the date and newspaper when the page prints them.

Metadata given by the caller wins over what the file states. An article whose stem is already
in the folder replaces it (under any of the article suffixes). Every file is written to a
hidden temporary name and renamed into place, so an interrupted add never leaves half an
article. Deleted articles, and the versions an add replaced, are kept in ``.history/<time>/``
in the folder (the loader skips hidden folders): nothing is lost. A file that cannot be read gets one line in the report and
the rest are still added.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.corpus.loading import ARTICLE_SUFFIXES, SIDECAR_SUFFIX, USER_DICT_NAME, check_sidecar, read_sidecar
from rag.errors import CorpusError

IMPORT_SUFFIXES = (*ARTICLE_SUFFIXES, ".html", ".htm", ".docx", ".pdf")
HISTORY_FOLDER = ".history"
_DOC_ID = re.compile(r"^[\w\-.]+$")  # \w takes Chinese characters too


@dataclass(frozen=True)
class ArticleMetadata:
    """Metadata for a sidecar; ``None`` leaves the field to the file or to cleaning."""

    title: str | None = None
    newspaper: str | None = None
    date: str | None = None  # ISO 8601
    page: str | None = None  # page or section, shown in citations

    def sidecar(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value is not None}


@dataclass(frozen=True)
class ChangeReport:
    """What an add or delete did: doc ids changed, and one line per file it could not take."""

    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def add_articles(paths: Sequence[Path], folder: Path, metadata: ArticleMetadata | None = None) -> ChangeReport:
    """Copy each article into corpus ``folder`` as text and sidecar (see the module docstring).

    Raises:
        CorpusError: ``folder`` is not a folder, or ``metadata`` is not valid (a bad date); a bad
            file only adds a line to the report's problems.
    """
    folder = _corpus_folder(folder)
    stamp = _stamp()
    added: list[str] = []
    replaced: list[str] = []
    problems: list[str] = []
    given = metadata.sidecar() if metadata is not None else {}
    check_sidecar(given, "the metadata given")
    for path in map(Path, paths):
        try:
            text, found = read_article(path)
            doc_id = path.stem
            sidecar = {**found, **given}
            check_sidecar(sidecar, f"{doc_id}{SIDECAR_SUFFIX}")
        except CorpusError as error:
            problems.append(str(error))
            continue
        existing = _article_files(folder, doc_id)
        sidecar_file = folder / f"{doc_id}{SIDECAR_SUFFIX}"
        for old in [*existing, *([sidecar_file] if sidecar_file.is_file() else [])]:
            shutil.copy2(old, _history(folder, stamp) / old.name)  # the version replaced is kept
        _write(folder / f"{doc_id}.txt", text)
        for old in existing:
            if old.name != f"{doc_id}.txt":
                old.unlink()
        if sidecar:
            _write(sidecar_file, json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n")
        elif sidecar_file.exists():
            sidecar_file.unlink()  # the new version states nothing: the old metadata no longer holds
        (replaced if existing else added).append(doc_id)
    return ChangeReport(added=tuple(added), replaced=tuple(replaced), problems=tuple(problems))


def delete_articles(doc_ids: Sequence[str], folder: Path) -> ChangeReport:
    """Move each article (and its sidecar) out of the corpus into ``.history/<time>/``."""
    folder = _corpus_folder(folder)
    stamp = _stamp()
    deleted: list[str] = []
    problems: list[str] = []
    for doc_id in doc_ids:
        files = _article_files(folder, doc_id) if _DOC_ID.match(doc_id) else []
        if not files:
            problems.append(f"{doc_id}: no article with this id in {folder}; nothing deleted.")
            continue
        sidecar = folder / f"{doc_id}{SIDECAR_SUFFIX}"
        for file in [*files, *([sidecar] if sidecar.is_file() else [])]:
            shutil.move(file, _history(folder, stamp) / file.name)
        deleted.append(doc_id)
    return ChangeReport(deleted=tuple(deleted), problems=tuple(problems))


def read_article(path: Path) -> tuple[str, dict]:
    """The raw article text of ``path`` and the sidecar fields the file itself states.

    Raises:
        CorpusError: one line naming the file: missing, an unknown type, unreadable, or no text.
    """
    suffix = path.suffix.lower()
    if not path.is_file():
        raise CorpusError(f"{path}: no such file.")
    if suffix not in IMPORT_SUFFIXES:
        raise CorpusError(f"{path.name}: cannot add a {suffix or 'suffix-less'} file; use one of {', '.join(IMPORT_SUFFIXES)}.")
    if not _DOC_ID.match(path.stem) or path.name == USER_DICT_NAME or path.name.startswith("."):
        raise CorpusError(f"{path.name}: the file name is the article's id; rename it to letters, digits, - _ . or Chinese.")
    readers = {".html": _html, ".htm": _html, ".docx": _docx, ".pdf": _pdf}
    try:
        text, found = readers.get(suffix, _plain)(path)
    except CorpusError:
        raise
    except Exception as error:  # each library fails its own way on a damaged file
        raise CorpusError(f"{path.name}: cannot read it as {suffix} ({type(error).__name__}: {error}).") from error
    if not text.strip():
        raise CorpusError(f"{path.name}: no text in it (a scanned PDF or an empty page?); nothing added.")
    return text, found


def _plain(path: Path) -> tuple[str, dict]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CorpusError(f"{path.name}: not UTF-8 text (byte {error.start}); save it as UTF-8.") from error
    sidecar = path.with_suffix(SIDECAR_SUFFIX)
    return text, read_sidecar(sidecar) if sidecar.is_file() else {}


def _html(path: Path) -> tuple[str, dict]:
    import trafilatura

    extracted = trafilatura.extract(
        path.read_bytes(), output_format="json", with_metadata=True, include_comments=False, include_tables=False
    )
    if extracted is None:
        return "", {}
    data = json.loads(extracted)
    found = {
        "title": data.get("title"),
        "newspaper": data.get("sitename") or data.get("source-hostname"),
        "date": _iso(data.get("date")),
    }
    return data.get("text") or "", {name: value for name, value in found.items() if value}


def _docx(path: Path) -> tuple[str, dict]:
    import docx

    document = docx.Document(str(path))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    title = document.core_properties.title
    return text, {"title": title} if title else {}


def _pdf(path: Path) -> tuple[str, dict]:
    import pypdf

    reader = pypdf.PdfReader(str(path))
    # Two blank lines between pages: the cleaning treats them as a gap between layout blocks.
    text = "\n\n\n".join(page.extract_text() or "" for page in reader.pages)
    return text, {}


def _iso(value: object) -> str | None:
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return None
    return None


def _stamp() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def _history(folder: Path, stamp: str) -> Path:
    """Where this change keeps the files it deletes or replaces (hidden: the loader skips it)."""
    place = folder / HISTORY_FOLDER / stamp
    place.mkdir(parents=True, exist_ok=True)
    return place


def _article_files(folder: Path, doc_id: str) -> list[Path]:
    return [file for suffix in ARTICLE_SUFFIXES if (file := folder / f"{doc_id}{suffix}").is_file()]


def _corpus_folder(folder: Path) -> Path:
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"{folder} is not a corpus folder; articles can only be added to a folder of articles.")
    return folder


def _write(target: Path, text: str) -> None:
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, target)

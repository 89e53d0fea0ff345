"""An index directory that describes itself: ``save_index(dir, ...)`` / ``load_index(dir)``.

Layout::

    manifest.json     what was built, how, from what, with the size and sha256 of every file
    documents.json    the cleaned documents (paragraphs and removal records included)
    passages.jsonl    one passage per line; line i is FAISS row i and BM25 document i
    dense.faiss       FAISS index of the passage vectors
    sentences.faiss   FAISS index of the vectors of the passages' sentences
    sentence_passages.npy  for each sentence vector, the passage row it belongs to (int32)
    lexical/          bm25s index files, and collection.json (mean document length)
    userdict.txt      the jieba user dictionary the tokens were cut with
    document_rows.json  for each document, its first passage row, its number of passages and
                      the sha256 of its body: what an incremental change needs of the main build
    added/            (after ``rag add`` / ``rag delete`` on a large index) articles added,
                      replaced or deleted since the build: see ``rag.index.added``

``save_index`` writes into a hidden sibling directory and swaps it into place only when
complete, so readers never see half an index and a failed build leaves the old one intact.
``save_changes`` writes a new ``added/`` the same way, the main files hard-linked (not copied)
into the new directory. ``load_index`` refuses anything that does not match its manifest, with
a message that says how to rebuild; given the index it loaded before, it reads and verifies only
what changed.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import INDEX_FORMAT_VERSION, TEXT_RULES_VERSION, Config
from rag.corpus.loading import body_digest
from rag.index import added as added_files
from rag.index.added import AddedLexical, AddedSegment, empty_segment, load_added, save_added
from rag.index.dense import DenseIndex
from rag.embedding.embedders import Embedder
from rag.errors import IndexLoadError
from rag.index.lexical import LexicalIndex
from rag.models import Document, Paragraph, Passage, Removal
from rag.text.tokenization import Tokenizer

MANIFEST = "manifest.json"
DOCUMENTS = "documents.json"
PASSAGES = "passages.jsonl"
DENSE = "dense.faiss"
SENTENCES = "sentences.faiss"
SENTENCE_PASSAGES = "sentence_passages.npy"
LEXICAL = "lexical"
USER_DICT = "userdict.txt"
DOCUMENT_ROWS = "document_rows.json"
ADDED = added_files.FOLDER
_INDEX_ENTRIES = (
    MANIFEST, DOCUMENTS, PASSAGES, DENSE, SENTENCES, SENTENCE_PASSAGES, LEXICAL, USER_DICT, DOCUMENT_ROWS, ADDED
)

# Config fields that shape what gets built; recorded so a reader can tell how an index was made.
_BUILD_SETTINGS = (
    "passage_min_chars",
    "passage_max_chars",
    "passage_overlap_sentences",
    "exact_search_max_passages",
    "hnsw_m",
    "hnsw_ef_construction",
    "hnsw_storage",
    "bm25_k1",
    "bm25_b",
    "tokenizer_single_chars",
)


@dataclass(frozen=True)
class FileRecord:
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` says about the index next to it."""

    format_version: int
    embedder: str
    dimension: int
    dense_kind: str  # "flat" | "hnsw"
    tokenizer: Mapping[str, Any]  # Tokenizer.describe() at build time
    lexical: Mapping[str, Any]  # BM25 parameters
    settings: Mapping[str, Any]  # build_settings(config): the fields in _BUILD_SETTINGS + text rules
    corpus_fingerprint: str
    documents: int  # served: those of the main build not replaced or deleted, and those added
    passages: int  # served, counted the same way
    sentences: int  # sentence vectors of the main build and of the added articles
    built_at: str  # ISO 8601, UTC: of the main build, or of the last change when there is one
    build_seconds: float  # of the main build, or of the last change
    files: Mapping[str, FileRecord]  # path relative to the index directory → record
    added: Mapping[str, int] = field(default_factory=dict)  # AddedSegment.counts; {} when none

    @property
    def main_documents(self) -> int:
        """Documents of the main build (the served ones, and the replaced or deleted)."""
        return self.documents - self.added.get("documents", 0) + self.added.get("removed_documents", 0)

    @property
    def main_passages(self) -> int:
        """Passage rows of the main build, counted the same way."""
        return self.passages - self.added.get("passages", 0) + self.added.get("removed_passages", 0)

    @property
    def main_sentences(self) -> int:
        return self.sentences - self.added.get("sentences", 0)

    @property
    def main_files(self) -> dict[str, FileRecord]:
        """The files the main build wrote (all but ``added/``)."""
        return {name: record for name, record in self.files.items() if not name.startswith(f"{ADDED}/")}


@dataclass(frozen=True)
class StoredIndex:
    """Everything a pipeline needs from an index directory, checked against its manifest.

    ``dense``, ``sentences``, ``sentence_passages`` and ``lexical`` are the main build's;
    ``added`` holds what changed since (its rows follow the main rows).
    """

    manifest: Manifest
    documents: tuple[Document, ...]  # served: main ones not replaced or deleted, then added ones
    passages: tuple[Passage, ...]  # every row: the main build's, then the added ones
    dense: DenseIndex
    sentences: DenseIndex  # the passages' sentences, embedded one by one
    sentence_passages: np.ndarray  # int32: row of ``sentences`` → row of ``passages``
    lexical: LexicalIndex
    tokenizer: Tokenizer
    main_documents: tuple[Document, ...]
    added: AddedSegment
    added_lexical: AddedLexical  # BM25 of the added passages
    removed_sentences: np.ndarray  # int64: rows of ``sentences`` whose passage was removed

    @property
    def live_passages(self) -> tuple[Passage, ...]:
        """The passages served: none of a replaced or deleted article."""
        removed = set(self.added.removed_rows.tolist())
        return tuple(p for row, p in enumerate(self.passages) if row not in removed)


def assemble(
    manifest: Manifest,
    main_documents: tuple[Document, ...],
    main_passages: tuple[Passage, ...],
    dense: DenseIndex,
    sentences: DenseIndex,
    sentence_passages: np.ndarray,
    lexical: LexicalIndex,
    tokenizer: Tokenizer,
    added: AddedSegment,
) -> StoredIndex:
    """The index served from a main build and what was added since."""
    removed = set(added.removed_documents)
    return StoredIndex(
        manifest=manifest,
        documents=tuple(d for d in main_documents if d.doc_id not in removed) + added.documents,
        passages=main_passages + added.passages,
        dense=dense,
        sentences=sentences,
        sentence_passages=sentence_passages,
        lexical=lexical,
        tokenizer=tokenizer,
        main_documents=main_documents,
        added=added,
        added_lexical=AddedLexical(added.tokens, lexical),
        removed_sentences=np.flatnonzero(np.isin(sentence_passages, added.removed_rows)).astype(np.int64),
    )


def _rebuild_hint(index_dir: Path) -> str:
    return f"Rebuild it with `rag build --corpus corpus --index {index_dir}`."


def _file_record(path: Path) -> FileRecord:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return FileRecord(size=path.stat().st_size, sha256=digest.hexdigest())


def _fsync(path: Path) -> None:
    """Flush a file or directory to disk (FAISS and bm25s write files we cannot fsync ourselves)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)


def document_from_dict(record: Mapping[str, Any]) -> Document:
    return Document(
        **{
            **record,
            "paragraphs": tuple(Paragraph(**paragraph) for paragraph in record["paragraphs"]),
            "authors": tuple(record["authors"]),
            "removed": tuple(Removal(**removal) for removal in record["removed"]),
        }
    )


def _manifest_from_dict(record: Mapping[str, Any]) -> Manifest:
    return Manifest(
        **{
            **record,
            "files": {name: FileRecord(**entry) for name, entry in record["files"].items()},
        }
    )


def _foreign_files(index_dir: Path) -> list[Path]:
    """Files in an existing ``index_dir`` that are not index files (e.g. a committed README.md).

    They are carried over into the new index. A foreign *directory* means ``index_dir`` is
    something else (a project folder, a typo), which must not be swapped away: ``ValueError``.
    """
    if not index_dir.exists():
        return []
    if not index_dir.is_dir():
        raise ValueError(f"{index_dir} is a file; choose a directory for the index.")
    foreign = [entry for entry in index_dir.iterdir() if entry.name not in _INDEX_ENTRIES]
    folders = sorted(entry.name for entry in foreign if entry.is_dir())
    if folders:
        raise ValueError(
            f"{index_dir} holds folders that are not part of an index ({', '.join(folders)}); "
            "an index build replaces the whole directory, so choose an empty or index directory."
        )
    return foreign


def _swap_into_place(new_dir: Path, index_dir: Path) -> None:
    """Replace ``index_dir`` by ``new_dir`` with two renames; the old directory is then deleted."""
    if not index_dir.exists():
        new_dir.rename(index_dir)
        _fsync(index_dir.parent)
        return
    old_dir = index_dir.parent / f".{index_dir.name}.old-{secrets.token_hex(4)}"
    index_dir.rename(old_dir)
    try:
        new_dir.rename(index_dir)
    except BaseException:
        old_dir.rename(index_dir)
        raise
    _fsync(index_dir.parent)
    shutil.rmtree(old_dir, ignore_errors=True)  # the new index is in place; a leftover is harmless


@contextlib.contextmanager
def _generation(index_dir: Path) -> Iterator[Path]:
    """A hidden sibling directory to write a new index into, swapped into place (with the old
    one's foreign files carried over) if the block succeeds, removed if it fails."""
    foreign = _foreign_files(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.tmp-", dir=index_dir.parent))
    try:
        work_dir.chmod(0o755)  # mkdtemp makes it private; the index is read by the app's user too
        yield work_dir
        for path in foreign:
            shutil.copy2(path, work_dir / path.name)
            _fsync(work_dir / path.name)
        _fsync(work_dir)
        _swap_into_place(work_dir, index_dir)
    except BaseException:
        shutil.rmtree(work_dir, ignore_errors=True)
        raise


def _record_files(work_dir: Path, names: Sequence[str] | None = None) -> dict[str, FileRecord]:
    """Size and sha256 of the files in ``work_dir`` (of ``names`` only, when given), fsynced."""
    paths = sorted(p for p in work_dir.rglob("*") if p.is_file()) if names is None else [work_dir / n for n in names]
    files = {}
    for path in paths:
        _fsync(path)
        files[path.relative_to(work_dir).as_posix()] = _file_record(path)
    for folder in {path.parent for path in paths}:
        _fsync(folder)
    return files


def _document_rows(documents: Sequence[Document], passages: Sequence[Passage]) -> dict[str, list]:
    """For each document: its first passage row, its number of passages, its body's sha256."""
    first: dict[str, int] = {}
    count: Counter[str] = Counter()
    for row, passage in enumerate(passages):
        first.setdefault(passage.doc_id, row)
        count[passage.doc_id] += 1
    return {d.doc_id: [first.get(d.doc_id, 0), count[d.doc_id], body_digest(d)] for d in documents}


def save_index(
    index_dir: Path,
    *,
    documents: Sequence[Document],
    passages: Sequence[Passage],
    dense: DenseIndex,
    sentences: DenseIndex,
    sentence_passages: Sequence[int],
    lexical: LexicalIndex,
    tokenizer: Tokenizer,
    embedder: Embedder,
    corpus_fingerprint: str,
    config: Config,
    build_started: float | None = None,
) -> Manifest:
    """Write a complete index to ``index_dir`` atomically and return its manifest.

    Args:
        sentence_passages: for each row of ``sentences``, the passage it is a sentence of.
        build_started: ``time.perf_counter()`` taken when the build began, so the manifest's
            ``build_seconds`` covers embedding too; ``None`` counts from this call.

    Raises:
        ValueError: passages, vectors and BM25 documents do not line up; a sentence belongs to
            no passage; the vectors do not have the embedder's dimension; ``index_dir`` exists
            but is not an index directory. Nothing is written then.
    """
    started = build_started if build_started is not None else time.perf_counter()
    if not len(passages) == len(dense) == len(lexical):
        raise ValueError(
            f"{len(passages)} passages, {len(dense)} vectors and {len(lexical)} BM25 documents: "
            "the three must be built from the same passage list."
        )
    owners = np.asarray(sentence_passages, dtype=np.int32).reshape(-1)
    if len(owners) != len(sentences) or not all(0 <= row < len(passages) for row in owners):
        raise ValueError(
            f"{len(sentences)} sentence vectors need as many passage rows below {len(passages)}; "
            f"got {len(owners)} rows."
        )
    for vectors in (dense, sentences):
        if vectors.dim != embedder.dim:
            raise ValueError(
                f"Vectors have dimension {vectors.dim}, embedder {embedder.name!r} has {embedder.dim}."
            )

    index_dir = Path(index_dir).absolute()
    with _generation(index_dir) as work_dir:
        (work_dir / DOCUMENTS).write_text(
            _json([dataclasses.asdict(document) for document in documents]), encoding="utf-8"
        )
        (work_dir / PASSAGES).write_text(
            "".join(json.dumps(dataclasses.asdict(p), ensure_ascii=False) + "\n" for p in passages),
            encoding="utf-8",
        )
        (work_dir / DOCUMENT_ROWS).write_text(
            json.dumps(_document_rows(documents, passages), ensure_ascii=False), encoding="utf-8"
        )
        dense.save(work_dir / DENSE)
        sentences.save(work_dir / SENTENCES)
        np.save(work_dir / SENTENCE_PASSAGES, owners, allow_pickle=False)
        lexical.save(work_dir / LEXICAL)
        (work_dir / USER_DICT).write_text(tokenizer.user_dict_text(), encoding="utf-8")
        manifest = Manifest(
            format_version=INDEX_FORMAT_VERSION,
            embedder=embedder.name,
            dimension=dense.dim,
            dense_kind=dense.kind,
            tokenizer=tokenizer.describe(),
            lexical=lexical.parameters,
            settings=build_settings(config),
            corpus_fingerprint=corpus_fingerprint,
            documents=len(documents),
            passages=len(passages),
            sentences=len(sentences),
            built_at=_now(),
            build_seconds=round(time.perf_counter() - started, 3),
            files=_record_files(work_dir),
        )
        _write_manifest(work_dir, manifest)
    return manifest


def save_changes(
    index_dir: Path,
    base: Manifest,
    segment: AddedSegment,
    *,
    corpus_fingerprint: str,
    started: float,
) -> Manifest:
    """Replace the ``added/`` folder of the index in ``index_dir`` (whose manifest is ``base``)
    by ``segment``, atomically, and return the new manifest.

    The main build's files are hard-linked into the new directory (copied where the file system
    cannot link), so this costs about the size of ``segment``, not of the index.
    """
    index_dir = Path(index_dir).absolute()
    main_files = base.main_files
    with _generation(index_dir) as work_dir:
        for name in main_files:
            target = work_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(index_dir / name, target)
            except OSError:
                shutil.copy2(index_dir / name, target)
        save_added(work_dir / ADDED, segment)
        added_names = sorted(f"{ADDED}/{path.name}" for path in (work_dir / ADDED).iterdir())
        counts = segment.counts
        manifest = dataclasses.replace(
            base,
            corpus_fingerprint=corpus_fingerprint,
            documents=base.main_documents - counts["removed_documents"] + counts["documents"],
            passages=base.main_passages - counts["removed_passages"] + counts["passages"],
            sentences=base.main_sentences + counts["sentences"],
            built_at=_now(),
            build_seconds=round(time.perf_counter() - started, 3),
            files={**main_files, **_record_files(work_dir, added_names)},
            added=counts,
        )
        _write_manifest(work_dir, manifest)
    return manifest


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _write_manifest(work_dir: Path, manifest: Manifest) -> None:
    (work_dir / MANIFEST).write_text(_json(dataclasses.asdict(manifest)), encoding="utf-8")
    _fsync(work_dir / MANIFEST)


def read_manifest(index_dir: Path) -> Manifest:
    """The manifest of ``index_dir``; raises ``IndexLoadError`` if it is missing or unreadable."""
    index_dir = Path(index_dir)
    hint = _rebuild_hint(index_dir)
    if not index_dir.is_dir():
        raise IndexLoadError(f"No index at {index_dir}. {hint}")
    manifest_path = index_dir / MANIFEST
    if not manifest_path.is_file():
        raise IndexLoadError(
            f"{index_dir} holds no {MANIFEST}, so it is not a complete index. {hint}"
        )
    try:
        record = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise IndexLoadError(f"{manifest_path} is not valid JSON ({error}). {hint}") from error
    version = record.get("format_version") if isinstance(record, dict) else None
    if version != INDEX_FORMAT_VERSION:
        raise IndexLoadError(
            f"{index_dir} has index format {version!r}; this version of rag reads format "
            f"{INDEX_FORMAT_VERSION}. {hint}"
        )
    try:
        return _manifest_from_dict(record)
    except (TypeError, KeyError, AttributeError) as error:
        raise IndexLoadError(
            f"{manifest_path} lacks or garbles a field ({error}). {hint}"
        ) from error


def _check_files(
    index_dir: Path, manifest: Manifest, hint: str, verified: Mapping[str, FileRecord], complete: bool = True
) -> None:
    """Every file the manifest lists is there with its size and sha256, except those ``verified``
    already (the main files of an index loaded before, when they are the same). ``complete``:
    the manifest must list every file of the main build too."""
    required = (DOCUMENTS, PASSAGES, DENSE, SENTENCES, SENTENCE_PASSAGES, USER_DICT, DOCUMENT_ROWS)
    unlisted = [name for name in required if name not in manifest.files]
    if complete and (unlisted or not any(name.startswith(f"{LEXICAL}/") for name in manifest.files)):
        raise IndexLoadError(
            f"The manifest of {index_dir} does not list {unlisted or [LEXICAL]}. {hint}"
        )
    for name, expected in manifest.files.items():
        if name in verified:
            continue
        path = index_dir / name
        if not path.is_file():
            raise IndexLoadError(f"{path} is missing. {hint}")
        size = path.stat().st_size
        if size != expected.size:
            raise IndexLoadError(
                f"{path} has {size} bytes, the manifest says {expected.size} (truncated or "
                f"overwritten). {hint}"
            )
        if _file_record(path).sha256 != expected.sha256:
            raise IndexLoadError(
                f"{path} does not match its sha256 in the manifest (corrupt). {hint}"
            )


def load_index(
    index_dir: Path,
    *,
    embedder_name: str | None = None,
    hnsw_ef_search: int = Config.hnsw_ef_search,
    previous: StoredIndex | None = None,
) -> StoredIndex:
    """Read and verify an index directory written by :func:`save_index` (and :func:`save_changes`).

    Args:
        embedder_name: the embedder the caller will embed questions with; ``None`` skips the
            check (then use ``manifest.embedder``).
        hnsw_ef_search: query-time beam of an HNSW dense index (ignored for an exact one).
        previous: an index loaded from this directory before. When the main build is the same
            (only ``added/`` changed), its main parts are taken over and only ``added/`` is
            read and verified: seconds less per gigabyte.

    Raises:
        IndexLoadError: missing or damaged directory, manifest or file; another format version;
            another embedder or tokenizer; counts that do not agree.
    """
    index_dir = Path(index_dir)
    hint = _rebuild_hint(index_dir)
    manifest = read_manifest(index_dir)
    if embedder_name is not None and embedder_name != manifest.embedder:
        raise IndexLoadError(
            f"{index_dir} was built with embedder {manifest.embedder!r}, not {embedder_name!r}, "
            "and questions must be embedded by the model that embedded the passages. Use "
            f"embedder {manifest.embedder!r}, or rebuild the index with {embedder_name!r}: "
            f"`rag build --corpus corpus --index {index_dir}`."
        )
    same_main = previous is not None and previous.manifest.main_files == manifest.main_files
    _check_files(index_dir, manifest, hint, verified=manifest.main_files if same_main else {})
    if same_main:
        main = (
            previous.main_documents,
            previous.passages[: previous.added.offset],
            previous.dense,
            previous.sentences,
            previous.sentence_passages,
            previous.lexical,
            previous.tokenizer,
        )
    else:
        main = _load_main(index_dir, manifest, hnsw_ef_search, hint)
    documents, passages, dense, sentences, sentence_passages, lexical, tokenizer = main
    added = _read_added(index_dir, manifest, len(passages), hint)
    index = assemble(manifest, documents, passages, dense, sentences, sentence_passages, lexical, tokenizer, added)
    known_documents = {document.doc_id for document in index.main_documents + added.documents}
    orphans = sorted({p.doc_id for p in index.passages} - known_documents)
    if orphans:
        raise IndexLoadError(f"Passages of unknown documents {orphans[:3]} in {index_dir}. {hint}")
    return index


def _load_main(index_dir: Path, manifest: Manifest, hnsw_ef_search: int, hint: str) -> tuple:
    """The main build's documents, passages, dense and sentence indexes, sentence rows, BM25
    and tokenizer, checked against the manifest."""
    tokenizer = Tokenizer.from_file(
        index_dir / USER_DICT, single_chars=bool(manifest.tokenizer.get("single_chars"))
    )
    if tokenizer.describe() != dict(manifest.tokenizer):
        raise IndexLoadError(
            f"{index_dir} was tokenized differently ({dict(manifest.tokenizer)}) from what this "
            f"version of rag does ({tokenizer.describe()}), so BM25 would miss words. {hint}"
        )
    try:
        documents = tuple(
            document_from_dict(record)
            for record in json.loads((index_dir / DOCUMENTS).read_text(encoding="utf-8"))
        )
        passages = tuple(
            Passage(**json.loads(line))
            for line in (index_dir / PASSAGES).read_text(encoding="utf-8").splitlines()
        )
        dense = DenseIndex.load(index_dir / DENSE, ef_search=hnsw_ef_search)
        sentences = DenseIndex.load(index_dir / SENTENCES, ef_search=hnsw_ef_search)
        sentence_passages = np.load(index_dir / SENTENCE_PASSAGES, allow_pickle=False)
        lexical = LexicalIndex.load(index_dir / LEXICAL)
    except (ValueError, TypeError, KeyError, RuntimeError, OSError) as error:
        # json errors are ValueErrors; faiss raises RuntimeError on a file it cannot parse.
        raise IndexLoadError(f"{index_dir} cannot be read ({error}). {hint}") from error

    _agree(index_dir, "Document", hint, {
        "manifest documents": manifest.main_documents,
        "documents.json": len(documents),
    })
    _agree(index_dir, "Passage", hint, {
        "manifest passages": manifest.main_passages,
        "passages.jsonl": len(passages),
        "FAISS vectors": len(dense),
        "BM25 documents": len(lexical),
    })
    _agree(index_dir, "Sentence", hint, {
        "manifest sentences": manifest.main_sentences,
        "sentence vectors": len(sentences),
        "sentence passage rows": len(sentence_passages),
    })
    _check_rows(index_dir / SENTENCE_PASSAGES, sentence_passages, 0, len(passages), hint)
    for name, vectors in ((DENSE, dense), (SENTENCES, sentences)):
        if vectors.dim != manifest.dimension:
            raise IndexLoadError(
                f"{index_dir / name} has dimension {vectors.dim}, the manifest says "
                f"{manifest.dimension}. {hint}"
            )
    return documents, passages, dense, sentences, sentence_passages, lexical, tokenizer


def read_added(index_dir: Path, manifest: Manifest) -> AddedSegment:
    """The ``added/`` segment of the index in ``index_dir`` (empty when it has none), its files
    verified against ``manifest``; the main build's are not read. Raises ``IndexLoadError``."""
    index_dir = Path(index_dir)
    hint = _rebuild_hint(index_dir)
    files = {name: record for name, record in manifest.files.items() if name not in manifest.main_files}
    _check_files(index_dir, dataclasses.replace(manifest, files=files), hint, verified={}, complete=False)
    return _read_added(index_dir, manifest, manifest.main_passages, hint)


def read_document_rows(index_dir: Path, manifest: Manifest) -> dict[str, tuple[int, int, str]]:
    """For each document of the main build: its first passage row, its number of passages and
    the sha256 of its body (``body_digest``), verified against ``manifest``."""
    index_dir = Path(index_dir)
    hint = _rebuild_hint(index_dir)
    only = dataclasses.replace(manifest, files={DOCUMENT_ROWS: manifest.files.get(DOCUMENT_ROWS, FileRecord(-1, ""))})
    _check_files(index_dir, only, hint, verified={}, complete=False)
    try:
        rows = json.loads((index_dir / DOCUMENT_ROWS).read_text(encoding="utf-8"))
        return {doc_id: (int(first), int(count), str(digest)) for doc_id, (first, count, digest) in rows.items()}
    except (ValueError, TypeError, AttributeError) as error:
        raise IndexLoadError(f"{index_dir / DOCUMENT_ROWS} cannot be read ({error}). {hint}") from error


def _read_added(index_dir: Path, manifest: Manifest, offset: int, hint: str) -> AddedSegment:
    try:
        added = (
            load_added(index_dir / ADDED, offset, document_from_dict)
            if manifest.added
            else empty_segment(offset, manifest.dimension)
        )
    except (ValueError, TypeError, KeyError, RuntimeError, OSError) as error:
        raise IndexLoadError(f"{index_dir / ADDED} cannot be read ({error}). {hint}") from error
    _check_added(index_dir, manifest, added, hint)
    return added


def _check_added(index_dir: Path, manifest: Manifest, added: AddedSegment, hint: str) -> None:
    if manifest.added and added.counts != dict(manifest.added):
        raise IndexLoadError(
            f"{index_dir / ADDED} holds {added.counts}, the manifest says {dict(manifest.added)}. {hint}"
        )
    _agree(index_dir, "Added passage", hint, {
        "passages.jsonl": len(added.passages),
        "tokens.jsonl": len(added.tokens),
        "FAISS vectors": len(added.dense),
    })
    _agree(index_dir, "Added sentence", hint, {
        "sentence vectors": len(added.sentences),
        "sentence passage rows": len(added.sentence_passages),
    })
    end = added.offset + len(added.passages)
    _check_rows(index_dir / ADDED / SENTENCE_PASSAGES, added.sentence_passages, added.offset, end, hint)
    if len(added.removed_rows) and not 0 <= int(added.removed_rows.min()) <= int(added.removed_rows.max()) < added.offset:
        raise IndexLoadError(f"{index_dir / ADDED} removes rows the main build does not have. {hint}")
    for vectors in (added.dense, added.sentences):
        if vectors.dim != manifest.dimension:
            raise IndexLoadError(
                f"{index_dir / ADDED} has vectors of dimension {vectors.dim}, the manifest says "
                f"{manifest.dimension}. {hint}"
            )


def _agree(index_dir: Path, what: str, hint: str, counts: Mapping[str, int]) -> None:
    if len(set(counts.values())) != 1:
        raise IndexLoadError(f"{what} counts disagree in {index_dir}: {dict(counts)}. {hint}")


def _check_rows(path: Path, rows: np.ndarray, low: int, high: int, hint: str) -> None:
    """``rows`` (a sentence → passage map) is int32 and within ``[low, high)``."""
    if rows.dtype != np.int32 or rows.ndim != 1 or (
        len(rows) and not low <= int(rows.min()) <= int(rows.max()) < high
    ):
        raise IndexLoadError(f"{path} does not hold passage rows of this index. {hint}")


def is_stale(manifest: Manifest, corpus_fingerprint: str) -> bool:
    """True when the corpus changed since the index was built."""
    return manifest.corpus_fingerprint != corpus_fingerprint


def build_settings(config: Config) -> dict[str, Any]:
    """What shapes an index besides the corpus and the embedder, as recorded in its manifest."""
    return {
        **{name: getattr(config, name) for name in _BUILD_SETTINGS},
        "text_rules_version": TEXT_RULES_VERSION,
    }


def changed_settings(manifest: Manifest, config: Config) -> list[str]:
    """``"name built → now"`` for each build setting the index was made with that differs now."""
    return [
        f"{name} {manifest.settings.get(name)!r} → {value!r}"
        for name, value in build_settings(config).items()
        if manifest.settings.get(name) != value
    ]

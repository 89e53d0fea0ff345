"""Bring an index up to date after articles were added, replaced or deleted:
``update_index(corpus, index_dir, config, doc_ids, before=fingerprint)``.

Only the changed articles are read, cleaned, cut, tokenised and embedded:
- **local index**, large: they go into ``added/`` beside the main build (``rag.index.added``);
  the main files are hard-linked into the new index directory, so a change costs seconds at any
  size. Past ``Config.added_max_share`` of the main build (at once, on a small index) the index
  is rebuilt from its kept vectors instead (``build_index(reuse=True)``, which embeds only
  what is new), folding ``added/`` into the main build.
- **Milvus**: the current generation is changed in place (``rag.index.milvus.change_milvus``):
  the changed articles' rows inserted, the old ones deleted; Milvus keeps BM25's statistics.

Either rebuilds (from kept vectors) when the index was not built from the corpus as it was
before the change, with other settings, another embedder or word list, when the corpus is not a
folder, and when a changed article has the text of another article (which of the two
``load_corpus`` keeps depends on every file name).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.config import Config
from rag.corpus.loading import body_digest, corpus_fingerprint, load_articles, user_dictionary
from rag.corpus.passages import build_passages, retrieval_text
from rag.embedding.embedders import Embedder, load_embedder
from rag.errors import IndexLoadError
from rag.index.added import AddedSegment
from rag.index.build import BuildReport, PassageVectors, build_index, passage_sentences, vectors_for
from rag.index.dense import DenseIndex
from rag.index.store import Manifest, changed_settings, read_added, read_document_rows, read_manifest, save_changes
from rag.models import Document
from rag.text.tokenization import Tokenizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Change:
    """The changed articles as they are now, and what the index needs to take them."""

    documents: tuple[Document, ...]  # the changed articles still in the corpus, cleaned
    changed: tuple[str, ...]  # every changed id: what the index holds of them now goes
    warnings: tuple[str, ...]
    tokenizer: Tokenizer


def update_index(
    corpus_path: Path,
    index_dir: Path,
    config: Config,
    doc_ids: Sequence[str],
    *,
    before: str,
    embedder: Embedder | None = None,
    progress: bool = False,
) -> BuildReport:
    """Index the articles ``doc_ids`` of corpus folder ``corpus_path`` as they are now (an id
    with no article there any more is deleted from the index); in ``index_dir``, or in Milvus
    when ``config.milvus_uri`` is set.

    Args:
        before: ``corpus_fingerprint(corpus_path)`` taken before the change. Unless the index
            was built from exactly that corpus, only a rebuild makes it true again.
    """
    started = time.perf_counter()
    corpus_path, index_dir = Path(corpus_path), Path(index_dir)
    update = _update_milvus if config.milvus_uri is not None else _update_local
    report = update(corpus_path, index_dir, config, doc_ids, before, embedder, progress, started)
    if isinstance(report, str):
        log.info("Rebuilding the index: %s", report)
        return build_index(corpus_path, index_dir, config, embedder=embedder, progress=progress, reuse=True)
    return report


def _update_local(
    corpus_path: Path,
    index_dir: Path,
    config: Config,
    doc_ids: Sequence[str],
    before: str,
    embedder: Embedder | None,
    progress: bool,
    started: float,
) -> BuildReport | str:
    """The change written into ``added/``, or why it must be a rebuild."""
    try:
        manifest = read_manifest(index_dir)
        main_rows = read_document_rows(index_dir, manifest)
        segment = read_added(index_dir, manifest)
    except IndexLoadError as error:
        return str(error)
    removed_main, changed = set(segment.removed_documents), set(doc_ids)
    unchanged = [digest for doc_id, (_, _, digest) in main_rows.items() if doc_id not in removed_main | changed]
    kept = [d for d in segment.documents if d.doc_id not in changed]
    change = _change(corpus_path, config, manifest, doc_ids, before, [*unchanged, *map(body_digest, kept)])
    if isinstance(change, str):
        return change
    documents = sorted([*kept, *change.documents], key=lambda d: d.doc_id)
    removed = sorted(removed_main | (set(change.changed) & main_rows.keys()))
    rows = np.asarray(
        [row for doc_id in removed for row in range(main_rows[doc_id][0], sum(main_rows[doc_id][:2]))],
        dtype=np.int64,
    )
    passages = [passage for document in documents for passage in build_passages(document, config)]
    if len(passages) + len(rows) > config.added_max_share * manifest.main_passages:
        return f"the changes outgrew {config.added_max_share} of the index"

    texts = [retrieval_text(passage) for passage in passages]
    old_tokens = dict(zip((retrieval_text(p) for p in segment.passages), segment.tokens))
    tokens = tuple(old_tokens.get(text) or tuple(change.tokenizer.tokenize(text)) for text in texts)
    known = dict(zip((retrieval_text(p) for p in segment.passages), segment.dense.vectors()))
    known.update(zip(passage_sentences(segment.passages)[1], segment.sentences.vectors()))
    embedder = embedder if embedder is not None else load_embedder(config.embedder)
    found = vectors_for(passages, texts, embedder, known, config, progress)
    offset = manifest.main_passages
    added = AddedSegment(
        offset=offset,
        documents=tuple(documents),
        passages=tuple(passages),
        tokens=tokens,
        dense=DenseIndex.build(found.vectors, exact_max=len(found.vectors)),
        sentences=DenseIndex.build(found.sentence_vectors, exact_max=len(found.sentence_vectors)),
        sentence_passages=np.asarray(found.sentence_passages, dtype=np.int32) + offset,
        removed_documents=tuple(removed),
        removed_rows=np.sort(rows),
    )
    new_manifest = save_changes(
        index_dir, manifest, added, corpus_fingerprint=corpus_fingerprint(corpus_path), started=started
    )
    return _report(new_manifest, change, found)


def _update_milvus(
    corpus_path: Path,
    index_dir: Path,
    config: Config,
    doc_ids: Sequence[str],
    before: str,
    embedder: Embedder | None,
    progress: bool,
    started: float,
) -> BuildReport | str:
    """The change made in place in Milvus's current generation, or why it must be a rebuild."""
    from rag.index.milvus import change_milvus, milvus_documents

    try:
        manifest, served = milvus_documents(config)
    except IndexLoadError as error:
        return str(error)
    kept = [d for d in served if d.doc_id not in set(doc_ids)]
    change = _change(corpus_path, config, manifest, doc_ids, before, [body_digest(d) for d in kept])
    if isinstance(change, str):
        return change
    passages = [passage for document in change.documents for passage in build_passages(document, config)]
    texts = [retrieval_text(passage) for passage in passages]
    embedder = embedder if embedder is not None else load_embedder(config.embedder)
    found = vectors_for(passages, texts, embedder, {}, config, progress)
    new_manifest = change_milvus(
        config,
        documents=sorted(change.documents, key=lambda d: d.doc_id),
        document_count=len(kept) + len(change.documents),
        removed=change.changed,
        passages=passages,
        texts=texts,
        vectors=found.vectors,
        sentence_passages=found.sentence_passages,
        sentence_vectors=found.sentence_vectors,
        tokenizer=change.tokenizer,
        corpus_fingerprint=corpus_fingerprint(corpus_path),
        started=started,
    )
    return _report(new_manifest, change, found)


def _change(
    corpus_path: Path,
    config: Config,
    manifest: Manifest,
    doc_ids: Sequence[str],
    before: str,
    other_digests: Sequence[str],
) -> _Change | str:
    """The changed articles, or why the index must be rebuilt to take them. ``other_digests``:
    the body digests of the articles served that this change leaves as they are."""
    if not corpus_path.is_dir():
        return "the corpus is not a folder of articles"
    if manifest.corpus_fingerprint != before:
        return "the index was not built from the corpus as it was before this change"
    if manifest.embedder != config.embedder or changed_settings(manifest, config):
        return "the index was built with another embedder or other settings"
    tokenizer = Tokenizer(
        (*config.user_dict_terms, *user_dictionary(corpus_path)), single_chars=config.tokenizer_single_chars
    )
    if tokenizer.describe() != dict(manifest.tokenizer):
        return "the word list changed"
    loaded = load_articles(corpus_path, sorted(set(doc_ids)))
    others = set(other_digests)
    if any(body_digest(d) in others for d in loaded.documents):
        return "a changed article has the text of another article"
    return _Change(loaded.documents, tuple(sorted(set(doc_ids))), loaded.warnings, tokenizer)


def _report(manifest: Manifest, change: _Change, found: PassageVectors) -> BuildReport:
    return BuildReport(manifest, change.warnings, embedded=found.embedded, reused=found.reused, changed_only=True)

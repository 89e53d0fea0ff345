"""Bring a local index up to date after articles were added, replaced or deleted:
``update_index(corpus, index_dir, config, doc_ids, before=fingerprint)``.

On a large index the changed articles go into ``added/`` beside the main build
(``rag.index.added``): only they are read, cleaned, cut, tokenised and embedded, and the main
files are hard-linked into the new index directory, so a change costs seconds at any size.
Everything else is rebuilt from the kept vectors (``build_index(reuse=True)``, which embeds only
what is new): a small index (its changes exceed ``Config.added_max_share`` at once), an index
whose changes outgrow that share, an index in Milvus, an index not built from the corpus as it
was before the change, and an article whose text another article already has (which of the two
``load_corpus`` keeps depends on every file name).
"""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.config import Config
from rag.corpus.loading import body_digest, corpus_fingerprint, load_articles, user_dictionary
from rag.corpus.passages import build_passages, retrieval_text
from rag.embedding.embedders import Embedder, load_embedder
from rag.errors import IndexLoadError
from rag.index.added import AddedSegment
from rag.index.build import BuildReport, build_index, passage_sentences, vectors_for
from rag.index.dense import DenseIndex
from rag.index.store import (
    changed_settings,
    read_added,
    read_document_rows,
    read_manifest,
    save_changes,
)
from rag.models import Document
from rag.text.tokenization import Tokenizer

log = logging.getLogger(__name__)


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
    with no article there any more is deleted from the index).

    Args:
        before: ``corpus_fingerprint(corpus_path)`` taken before the change. Unless the index
            was built from exactly that corpus, only a rebuild makes it true again.
    """
    started = time.perf_counter()
    corpus_path, index_dir = Path(corpus_path), Path(index_dir)
    reason, plan = _plan(corpus_path, index_dir, config, doc_ids, before)
    if plan is None:
        log.info("Rebuilding the index in %s: %s", index_dir, reason)
        return build_index(corpus_path, index_dir, config, embedder=embedder, progress=progress, reuse=True)
    manifest, segment, documents, warnings, tokenizer = plan
    passages = [passage for document in documents for passage in build_passages(document, config)]
    if len(passages) + len(segment.removed_rows) > config.added_max_share * manifest.main_passages:
        log.info("Rebuilding the index in %s: the changes outgrew %s of it", index_dir, config.added_max_share)
        return build_index(corpus_path, index_dir, config, embedder=embedder, progress=progress, reuse=True)

    texts = [retrieval_text(passage) for passage in passages]
    old_tokens = dict(zip((retrieval_text(p) for p in segment.passages), segment.tokens))
    tokens = tuple(old_tokens[text] if text in old_tokens else tuple(tokenizer.tokenize(text)) for text in texts)
    known = dict(zip((retrieval_text(p) for p in segment.passages), segment.dense.vectors()))
    _, old_sentences = passage_sentences(segment.passages)
    known.update(zip(old_sentences, segment.sentences.vectors()))
    embedder = embedder if embedder is not None else load_embedder(config.embedder)
    vectors, sentence_rows, sentence_vectors, embedded = vectors_for(passages, texts, embedder, known, config, progress)
    offset = manifest.main_passages
    added = AddedSegment(
        offset=offset,
        documents=tuple(documents),
        passages=tuple(passages),
        tokens=tokens,
        dense=DenseIndex.build(vectors, exact_max=len(vectors)),
        sentences=DenseIndex.build(sentence_vectors, exact_max=len(sentence_vectors)),
        sentence_passages=np.asarray(sentence_rows, dtype=np.int32) + offset,
        removed_documents=segment.removed_documents,
        removed_rows=segment.removed_rows,
    )
    new_manifest = save_changes(
        index_dir, manifest, added, corpus_fingerprint=corpus_fingerprint(corpus_path), started=started
    )
    total = len(texts) + len(set(passage_sentences(passages)[1]))
    return BuildReport(new_manifest, warnings, embedded=embedded, reused=total - embedded, changed_only=True)


def _plan(
    corpus_path: Path, index_dir: Path, config: Config, doc_ids: Sequence[str], before: str
) -> tuple[str, tuple | None]:
    """Why the change must be a rebuild, or the index's manifest, its added segment with the
    removals updated (the passages not yet), the documents the new segment holds, the warnings
    of loading the changed articles and the index's tokenizer."""
    if config.milvus_uri is not None:
        return "the index is in Milvus", None
    if not corpus_path.is_dir():
        return "the corpus is not a folder of articles", None
    try:
        manifest = read_manifest(index_dir)
    except IndexLoadError as error:
        return str(error), None
    if manifest.corpus_fingerprint != before:
        return "the index was not built from the corpus as it was before this change", None
    if manifest.embedder != config.embedder or changed_settings(manifest, config):
        return "the index was built with another embedder or other settings", None
    tokenizer = Tokenizer(
        (*config.user_dict_terms, *user_dictionary(corpus_path)), single_chars=config.tokenizer_single_chars
    )
    if tokenizer.describe() != dict(manifest.tokenizer):
        return "the word list changed", None
    try:
        main_rows = read_document_rows(index_dir, manifest)
        segment = read_added(index_dir, manifest)
    except IndexLoadError as error:
        return str(error), None

    changed = set(doc_ids)
    loaded = load_articles(corpus_path, sorted(changed))
    kept = [d for d in segment.documents if d.doc_id not in changed]
    removed = sorted(set(segment.removed_documents) | (changed & main_rows.keys()))
    live_digests = {
        digest for doc_id, (_, _, digest) in main_rows.items() if doc_id not in removed
    } | {body_digest(d) for d in kept}
    if any(body_digest(d) in live_digests for d in loaded.documents):
        return "an added article has the text of another article", None
    rows = sorted(
        row for doc_id in removed if doc_id in main_rows for row in range(main_rows[doc_id][0], sum(main_rows[doc_id][:2]))
    )
    documents: list[Document] = sorted([*kept, *loaded.documents], key=lambda d: d.doc_id)
    with_removals = replace(segment, removed_documents=tuple(removed), removed_rows=np.asarray(rows, dtype=np.int64))
    return "", (manifest, with_removals, documents, loaded.warnings, tokenizer)

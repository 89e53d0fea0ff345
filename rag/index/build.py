"""Build the index for a corpus: ``build_index(corpus_path, index_dir, config)``.

corpus → cleaned documents → passages → jieba tokens → BM25, and passages and their sentences
→ embeddings → FAISS; written atomically by ``rag.index.store.save_index``. With
``config.milvus_uri`` the passages, their vectors and texts go to Milvus instead
(``rag.index.milvus.save_milvus``), which computes BM25 itself.
``manifest_problem`` (the manifest alone) and ``index_problem`` (every file verified too) say
why an index must be rebuilt.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from rag.config import Config
from rag.corpus.loading import corpus_fingerprint, load_corpus, user_dictionary
from rag.index.dense import DenseIndex
from rag.embedding.embedders import Embedder, embed_passages_batched, load_embedder
from rag.errors import CorpusError, IndexLoadError, MilvusUnavailableError
from rag.index.store import (
    Manifest,
    changed_settings,
    is_stale,
    load_index,
    read_manifest,
    save_index,
)
from rag.index.lexical import LexicalIndex
from rag.models import Passage
from rag.corpus.passages import build_passages, retrieval_text
from rag.text.segmentation import split_sentences
from rag.text.tokenization import Tokenizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildReport:
    manifest: Manifest
    warnings: tuple[str, ...]  # what loading the corpus skipped or doubted
    embedded: int = 0  # texts (passages and distinct sentences) embedded by this build
    reused: int = 0  # texts whose vectors came from the index it replaced
    changed_only: bool = False  # only the changed articles were written (rag.index.update)


def build_index(
    corpus_path: Path,
    index_dir: Path,
    config: Config,
    embedder: Embedder | None = None,
    progress: bool = True,
    reuse: bool = False,
) -> BuildReport:
    """Read, clean, split, tokenise and embed the corpus; write the index atomically to
    ``index_dir``, or into Milvus at ``config.milvus_uri`` when that is set (``index_dir`` unused).

    ``reuse``: take the vectors of passages and sentences whose text is unchanged from the index
    it replaces (in ``index_dir``, or Milvus's current generation; built by the same embedder),
    and embed only what is new.
    Embedding is nearly all of a build's time, so adding or changing one article costs about
    that article.
    """
    started = time.perf_counter()
    if config.milvus_uri is not None:  # fail before minutes of embedding, not after
        from rag.index.milvus import connect

        connect(config).close()
    corpus = load_corpus(Path(corpus_path))
    passages = [passage for document in corpus.documents for passage in build_passages(document, config)]
    if not passages:
        raise CorpusError(f"{corpus_path} has no text to index: every document came out empty.")
    texts = [retrieval_text(passage) for passage in passages]
    tokenizer = Tokenizer(
        (*config.user_dict_terms, *user_dictionary(Path(corpus_path))),
        single_chars=config.tokenizer_single_chars,
    )
    # Milvus computes BM25 itself, from the passage texts.
    lexical = (
        LexicalIndex.build([tokenizer.tokenize(text) for text in texts], k1=config.bm25_k1, b=config.bm25_b)
        if config.milvus_uri is None
        else None
    )
    embedder = embedder if embedder is not None else load_embedder(config.embedder)
    known = _stored_vectors(Path(index_dir), config) if reuse else {}
    vectors, sentence_passages, sentence_vectors, embedded, reused = vectors_for(
        passages, texts, embedder, known, config, progress
    )
    # What both index places store, beside their own forms of the vectors and of BM25.
    common = {
        "documents": corpus.documents,
        "passages": passages,
        "sentence_passages": sentence_passages,
        "tokenizer": tokenizer,
        "embedder": embedder,
        "corpus_fingerprint": corpus_fingerprint(Path(corpus_path)),
        "build_started": started,
    }
    if lexical is None:
        from rag.index.milvus import save_milvus

        manifest = save_milvus(
            config, texts=texts, vectors=vectors, sentence_vectors=sentence_vectors, **common
        )
        return BuildReport(manifest, corpus.warnings, embedded=embedded, reused=reused)
    dense, sentence_index = (
        DenseIndex.build(
            matrix,
            exact_max=config.exact_search_max_passages,
            hnsw_m=config.hnsw_m,
            ef_construction=config.hnsw_ef_construction,
            ef_search=config.hnsw_ef_search,
            storage=config.hnsw_storage,
        )
        for matrix in (vectors, sentence_vectors)
    )
    manifest = save_index(
        Path(index_dir), dense=dense, sentences=sentence_index, lexical=lexical, config=config, **common
    )
    return BuildReport(manifest, corpus.warnings, embedded=embedded, reused=reused)


class PassageVectors(NamedTuple):
    vectors: np.ndarray  # one per passage
    sentence_passages: list[int]  # each sentence's passage row
    sentence_vectors: np.ndarray  # one per sentence
    embedded: int  # texts (passages and distinct sentences) embedded
    reused: int  # texts whose vectors were known


def vectors_for(
    passages: Sequence[Passage],
    texts: Sequence[str],
    embedder: Embedder,
    known: dict[str, np.ndarray],
    config: Config,
    progress: bool,
) -> PassageVectors:
    """The vectors of ``passages`` (embedding ``texts``, their retrieval texts) and of their
    sentences, reusing ``known`` ones by text."""
    sentence_passages, sentences = passage_sentences(passages)
    # Neighbouring passages share a sentence: each distinct sentence is embedded once.
    distinct = list(dict.fromkeys(sentences))
    vectors, embedded_passages = _vectors(embedder, list(texts), known, config, progress, "passages")
    distinct_vectors, embedded_sentences = _vectors(embedder, distinct, known, config, progress, "sentences")
    row_of = {sentence: row for row, sentence in enumerate(distinct)}
    sentence_vectors = distinct_vectors[[row_of[sentence] for sentence in sentences]]
    embedded = embedded_passages + embedded_sentences
    return PassageVectors(
        vectors, sentence_passages, sentence_vectors, embedded, len(texts) + len(distinct) - embedded
    )


def _stored_vectors(index_dir: Path, config: Config) -> dict[str, np.ndarray]:
    """Vectors of the index in ``index_dir`` (or in Milvus, when ``config.milvus_uri`` is set) by
    text: its passages' retrieval texts and its sentences, of the main build and of the articles
    added since. Empty when there is no index, it does not load, or another embedder built it."""
    if config.milvus_uri is not None:
        from rag.index.milvus import stored_vectors

        return stored_vectors(config)
    try:
        index = load_index(index_dir, embedder_name=config.embedder)
    except IndexLoadError:
        return {}
    main = index.passages[: index.added.offset]
    known = dict(zip((retrieval_text(p) for p in main), index.dense.vectors()))
    known.update(zip((retrieval_text(p) for p in index.added.passages), index.added.dense.vectors()))
    for passages, sentence_index in ((main, index.sentences), (index.added.passages, index.added.sentences)):
        known.update(zip(passage_sentences(passages)[1], sentence_index.vectors()))
    return known


def _vectors(
    embedder: Embedder,
    texts: list[str],
    known: dict[str, np.ndarray],
    config: Config,
    progress: bool,
    what: str,
) -> tuple[np.ndarray, int]:
    """One vector per text, reusing ``known`` ones; also how many had to be embedded."""
    missing = list(dict.fromkeys(text for text in texts if text not in known))
    fresh = {}
    if missing:
        batched = embed_passages_batched(embedder, missing, config.embed_batch_size, progress=progress, what=what)
        fresh = dict(zip(missing, batched))
    rows = [fresh[text] if text in fresh else known[text] for text in texts]
    if not rows:
        return np.zeros((0, embedder.dim), dtype=np.float32), 0
    return np.stack(rows).astype(np.float32, copy=False), len(missing)


def passage_sentences(passages: Sequence[Passage]) -> tuple[list[int], list[str]]:
    """Each passage's sentences, in order: their passage rows and their texts."""
    rows, texts = [], []
    for row, passage in enumerate(passages):
        for sentence in split_sentences(passage.text):
            rows.append(row)
            texts.append(sentence.text)
    return rows, texts


def current_manifest(index_dir: Path, config: Config) -> Manifest:
    """The manifest of the index ``config`` points at now: ``index_dir``'s, or the current one
    in Milvus when ``config.milvus_uri`` is set. One small read, so a server can poll it."""
    if config.milvus_uri is None:
        return read_manifest(Path(index_dir))
    from rag.index.milvus import read_milvus_manifest

    return read_milvus_manifest(config)


def manifest_problem(corpus_path: Path, index_dir: Path, config: Config) -> str | None:
    """Why the index must be (re)built, judging by its manifest alone; ``None`` when it is current.

    Cheap: no index file is read. A damaged file shows only when the index is loaded.
    Raises ``MilvusUnavailableError`` when the index is in a Milvus that cannot be reached.
    """
    try:
        manifest = current_manifest(Path(index_dir), config)
    except MilvusUnavailableError:
        raise
    except IndexLoadError as error:
        return str(error)
    if manifest.embedder != config.embedder:
        return f"the index was built with embedder {manifest.embedder!r}, the configuration asks for {config.embedder!r}"
    if is_stale(manifest, corpus_fingerprint(Path(corpus_path))):
        return "the corpus changed after the index was built"
    changes = changed_settings(manifest, config)
    if changes:
        return f"the index was built with other settings or text rules ({'; '.join(changes)})"
    return None


def index_problem(corpus_path: Path, index_dir: Path, config: Config) -> str | None:
    """Why the index must be (re)built, or ``None`` when it is current and every file checks out."""
    problem = manifest_problem(corpus_path, index_dir, config)
    if problem is not None:
        return problem
    try:
        load_index(Path(index_dir), embedder_name=config.embedder)
    except IndexLoadError as error:
        return str(error)
    return None

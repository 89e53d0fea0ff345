"""The index in Milvus (a Milvus Lite file, a server or a cluster): ``save_milvus`` / ``open_milvus``.

Each build writes a new generation of three collections, named
``{config.milvus_collection}_{generation}_…``:

    _passages   one row per passage, keyed by its row number: metadata, text, newspaper and date
                (for filters), its vector, and ``sparse``, the BM25 vector Milvus makes itself
                from ``search_text``, the passage's jieba tokens (ours) separated by spaces
    _sentences  one row per sentence vector, with the passage row it belongs to
    _records    the manifest, the jieba user dictionary, the next free row numbers and each
                document, as JSON in chunks (a document's rows carry its ``doc_id``, so a
                change rewrites only its own; Milvus wants a vector field in every
                collection: a constant 2-d one here)

and then points ``{config.milvus_collection}_current`` (one row) at it. That switch is the
build's last step, so a reader never opens half an index, and a build that fails leaves the
current one in place. The generation before stays until the next build: a process still
serving it (the app, while it loads the new one) keeps answering from it. Collection aliases
would do the same, but Milvus Lite does not implement them.

Dense vectors are searched by inner product (they are unit length: cosine), BM25 by Milvus;
``rag.retrieval`` fuses the two rankings itself, as for the local index. Filters become
Milvus filter expressions. The manifest is written last, so a build that failed half-way
leaves no index that opens. pymilvus is an optional extra (``pip install '.[milvus]'``); only
code that asks for Milvus imports this module.
"""
from __future__ import annotations

import dataclasses
import json
import re
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import INDEX_FORMAT_VERSION, Config
from rag.embedding.embedders import Embedder
from rag.errors import IndexLoadError, MilvusUnavailableError
from rag.index.passage_store import Ranking, best_per_passage, unfiltered
from rag.index.store import Manifest, build_settings, document_from_dict
from rag.corpus.passages import retrieval_text
from rag.models import Document, Passage, SearchFilters
from rag.text.segmentation import split_sentences
from rag.text.tokenization import Tokenizer

try:
    from pymilvus import DataType, Function, FunctionType, MilvusClient
except ImportError as error:  # the optional extra is missing
    raise MilvusUnavailableError(
        f"Milvus needs pymilvus and milvus-lite ({error}): pip install 'rag-zh-news[milvus]'."
    ) from error

# BM25 is Milvus's, over our own tokens (rag.text.tokenization, the local index's), written
# space-separated: Milvus's jieba analyzer cuts differently (no single characters, no corpus
# user dictionary: Milvus Lite 2.5.1 fails on jieba's "dict" parameter), and with it only 7 %
# of the seed questions got the local BM25's top 5 (docs/decisions.md, "Milvus as a second index
# backend").
ANALYZER = {"tokenizer": "whitespace"}
MAX_LIMIT = 16_384  # the most rows one Milvus search or query returns
_VARCHAR_BYTES = 65_535
_CHUNK_CHARS = 16_000  # 4 bytes a character at most: a chunk fits a VARCHAR
_INSERT_BATCH = 512
# Rows of vectors per query when reading them back: Milvus Lite 2.5.1 takes superlinear time in
# the rows a query returns with a vector field (5,000 at once: 30.6 s; 5 × 1,000: 0.33 s).
_VECTOR_WINDOW = 1_000
_PASSAGE_FIELDS = [field.name for field in dataclasses.fields(Passage)]
_INT_FIELDS = ("paragraph", "start", "end")
_ROWS = "rows"  # the records key of next_rows
_DOCUMENT = "document#"  # the records keys of documents: document#<number>#<chunk>
_GENERATION = re.compile(r"g\d{8}t\d{6}_[0-9a-f]{6}")


def collection_names(config: Config, generation: str) -> tuple[str, str, str]:
    """The passages, sentences and records collections of one generation of the index."""
    prefix = f"{config.milvus_collection}_{generation}"
    return f"{prefix}_passages", f"{prefix}_sentences", f"{prefix}_records"


def _pointer(config: Config) -> str:
    """The one-row collection naming the current generation."""
    return f"{config.milvus_collection}_current"


def current_generation(client: MilvusClient, config: Config) -> str | None:
    """The generation ``{prefix}_current`` points at; None before the first complete build."""
    pointer = _pointer(config)
    if not client.has_collection(pointer):
        return None
    client.load_collection(pointer)
    rows = client.query(pointer, filter='key == "generation"', output_fields=["body"])
    return rows[0]["body"] if rows else None


def _point_at(client: MilvusClient, config: Config, generation: str) -> None:
    pointer = _pointer(config)
    if not client.has_collection(pointer):
        _create(client, pointer, _records_schema(), config, consistency_level="Strong")
    client.upsert(pointer, [{"key": "generation", "body": generation, "doc_id": "", "vector": [1.0, 0.0]}])
    client.flush(pointer)


def _drop_generations(client: MilvusClient, config: Config, keep: set[str]) -> None:
    """Drop the collections of every generation of this index but ``keep``."""
    prefix = f"{config.milvus_collection}_"
    roles = tuple(name.removeprefix(prefix) for name in collection_names(config, ""))
    for name in client.list_collections():
        middle = name[len(prefix):].rsplit("_", 1)[0] if name.startswith(prefix) else ""
        if name.endswith(roles) and _GENERATION.fullmatch(middle) and middle not in keep:
            client.drop_collection(name)


def read_milvus_manifest(config: Config) -> Manifest:
    """The manifest of the index now current at ``config.milvus_uri`` (one small query), to
    tell whether it changed since it was opened. Raises ``IndexLoadError`` when there is none."""
    client = connect(config)
    try:
        generation = current_generation(client, config)
        record = None
        if generation is not None:
            records = collection_names(config, generation)[2]
            client.load_collection(records)
            record = _read_record(client, records, "manifest")
    finally:
        client.close()
    if not isinstance(record, dict):
        raise IndexLoadError(f"No index in Milvus at {config.milvus_uri}.")
    return _manifest(record)


def _manifest(record: dict[str, Any]) -> Manifest:
    return Manifest(**{**record, "files": {}})


def is_lite(uri: str | None) -> bool:
    """Whether ``uri`` names a Milvus Lite file (pymilvus runs those in-process) and not a server."""
    return uri is not None and uri.endswith(".db") and "://" not in uri


def connect(config: Config) -> MilvusClient:
    """A client for ``config.milvus_uri``; ``MilvusUnavailableError`` when it cannot be reached.
    A Milvus Lite file's folder is created if missing, as an index directory's would be."""
    if is_lite(config.milvus_uri):
        Path(config.milvus_uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        return MilvusClient(
            uri=config.milvus_uri, token=config.milvus_token, timeout=config.milvus_timeout_s
        )
    except Exception as error:  # noqa: BLE001 (grpc, milvus-lite and OS errors alike mean "not reachable")
        text = str(getattr(error, "message", "") or error).strip()  # pymilvus errors carry .message
        reason = text.splitlines()[0] if text else type(error).__name__
        raise MilvusUnavailableError(
            f"Cannot reach Milvus at {config.milvus_uri} ({reason}). Start it, or point "
            "--milvus / milvus_uri at a running Milvus or a Milvus Lite file ending in .db."
        ) from None


def save_milvus(
    config: Config,
    *,
    documents: Sequence[Document],
    passages: Sequence[Passage],
    texts: Sequence[str],
    vectors: np.ndarray,
    sentence_passages: Sequence[int],
    sentence_vectors: np.ndarray,
    tokenizer: Tokenizer,
    embedder: Embedder,
    corpus_fingerprint: str,
    build_started: float | None = None,
) -> Manifest:
    """Replace the index at ``config.milvus_uri`` with these passages and return its manifest.

    Args:
        texts: what BM25 indexes of each passage (``rag.corpus.passages.retrieval_text``).
        vectors, sentence_vectors: unit rows, one per passage and one per sentence.
        sentence_passages: for each sentence vector, the row of its passage.
    """
    started = build_started if build_started is not None else time.perf_counter()
    if not len(passages) == len(texts) == len(vectors):
        raise ValueError(f"{len(passages)} passages, {len(texts)} texts and {len(vectors)} vectors.")
    if len(sentence_passages) != len(sentence_vectors):
        raise ValueError(f"{len(sentence_vectors)} sentence vectors, {len(sentence_passages)} rows.")
    client = connect(config)
    previous = current_generation(client, config)
    generation = f"g{datetime.now(UTC):%Y%m%dt%H%M%S}_{secrets.token_hex(3)}"
    passages_name, sentences_name, records_name = collection_names(config, generation)
    documents_by_id = {document.doc_id: document for document in documents}
    dim = int(vectors.shape[1])

    _create(client, passages_name, _passages_schema(dim), config)
    _insert(client, passages_name, _passage_rows(passages, texts, vectors, documents_by_id, tokenizer, 0))
    _create(client, sentences_name, _sentences_schema(dim), config)
    _insert(client, sentences_name, _sentence_rows(passages, sentence_passages, sentence_vectors, documents_by_id, 0, 0))
    manifest = Manifest(
        format_version=INDEX_FORMAT_VERSION,
        embedder=embedder.name,
        dimension=dim,
        dense_kind="milvus",
        tokenizer=tokenizer.describe(),
        lexical={"k1": config.bm25_k1, "b": config.bm25_b, "analyzer": ANALYZER},
        settings=build_settings(config),
        corpus_fingerprint=corpus_fingerprint,
        documents=len(documents),
        passages=len(passages),
        sentences=len(sentence_vectors),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 3),
        files={},
    )
    _create(client, records_name, _records_schema(), config)
    _insert(client, records_name, _document_rows(documents, 0))
    _insert(client, records_name, _record_rows("userdict", list(tokenizer.user_dict_lines)))
    _insert(client, records_name, _record_rows("manifest", dataclasses.asdict(manifest)))
    for name in (passages_name, sentences_name, records_name):
        client.flush(name)
    _point_at(client, config, generation)
    _drop_generations(client, config, keep={generation, previous})
    client.close()
    return manifest


def milvus_documents(config: Config) -> tuple[Manifest, tuple[Document, ...]]:
    """The manifest and documents of the current generation; ``IndexLoadError`` when none."""
    client = connect(config)
    try:
        generation = current_generation(client, config)
        if generation is None:
            raise IndexLoadError(f"No index in Milvus at {config.milvus_uri}.")
        records = collection_names(config, generation)[2]
        client.load_collection(records)
        record = _read_record(client, records, "manifest")
        if not isinstance(record, dict) or record.get("format_version") != INDEX_FORMAT_VERSION:
            raise IndexLoadError(f"The index in Milvus at {config.milvus_uri} has no manifest of format {INDEX_FORMAT_VERSION}.")
        return _manifest(record), tuple(document for _, document in _read_documents(client, records))
    finally:
        client.close()


def change_milvus(
    config: Config,
    *,
    documents: Sequence[Document],
    document_count: int,
    removed: Sequence[str],
    passages: Sequence[Passage],
    texts: Sequence[str],
    vectors: np.ndarray,
    sentence_passages: Sequence[int],
    sentence_vectors: np.ndarray,
    tokenizer: Tokenizer,
    corpus_fingerprint: str,
    started: float,
) -> Manifest:
    """Change the current generation in place and return its new manifest: insert ``passages``
    (those of the articles added or replaced) and their sentences under new row numbers, then
    delete the older rows of the articles ``removed`` (replaced or deleted); Milvus keeps BM25's
    statistics itself. ``documents`` are the articles added or replaced, ``document_count``
    the number served afterwards.

    Rows are never reused, so a store opened before keeps its meaning of every row it knows.
    The documents record, the next free rows and, last, the manifest are rewritten after the
    rows; a change stopped half-way leaves counts that disagree with the manifest, which the
    next open refuses (and the app rebuilds).
    """
    client = connect(config)
    try:
        generation = current_generation(client, config)
        if generation is None:
            raise IndexLoadError(f"No index in Milvus at {config.milvus_uri}.")
        passages_name, sentences_name, records_name = names = collection_names(config, generation)
        for name in names:
            client.load_collection(name)
        manifest = _manifest(_read_record(client, records_name, "manifest"))
        first, first_sentence, first_document = next_rows(client, records_name, manifest)
        documents_by_id = {document.doc_id: document for document in documents}
        _insert(client, passages_name, _passage_rows(passages, texts, vectors, documents_by_id, tokenizer, first))
        _insert(client, sentences_name, _sentence_rows(
            passages, sentence_passages, sentence_vectors, documents_by_id, first, first_sentence
        ))
        _insert(client, records_name, _document_rows(documents, first_document))
        if removed:
            client.delete(passages_name, filter=f"doc_id in {_strings(removed)} and row < {first}")
            client.delete(sentences_name, filter=f"doc_id in {_strings(removed)} and passage < {first}")
            old = f'doc_id in {_strings(removed)} and key < "{_document_key(first_document)}"'
            client.delete(records_name, filter=old)
        for name in names:
            client.flush(name)
        manifest = dataclasses.replace(
            manifest,
            corpus_fingerprint=corpus_fingerprint,
            documents=document_count,
            passages=_count(client, passages_name),
            sentences=_count(client, sentences_name),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - started, 3),
        )
        rows = {
            "passages": first + len(passages),
            "sentences": first_sentence + len(sentence_passages),
            "documents": first_document + len(documents),
        }
        _replace_record(client, records_name, _ROWS, rows)
        _replace_record(client, records_name, "manifest", dataclasses.asdict(manifest))
        client.flush(records_name)
        return manifest
    finally:
        client.close()


def open_milvus(
    config: Config, *, embedder_name: str | None = None, previous: object | None = None
) -> MilvusPassageStore:
    """The index at ``config.milvus_uri``, loaded and checked against its manifest.

    ``previous``: the store serving until now. When it opened the same generation, the
    passages of the articles unchanged since are taken from it and only the rows inserted
    since are read (every passage is read otherwise).

    Raises:
        MilvusUnavailableError: the URI cannot be reached.
        IndexLoadError: no complete index there, another format or embedder, counts that disagree.
    """
    client = connect(config)
    hint = f"Build it with `rag build --corpus corpus --milvus {config.milvus_uri}`."
    generation = current_generation(client, config)
    if generation is None:
        raise IndexLoadError(f"No index in Milvus at {config.milvus_uri} (no {_pointer(config)}). {hint}")
    names = collection_names(config, generation)
    missing = [name for name in names if not client.has_collection(name)]
    if missing:
        raise IndexLoadError(f"The index in Milvus at {config.milvus_uri} lacks {', '.join(missing)}. {hint}")
    for name in names:
        client.load_collection(name)  # a reopened collection answers only once loaded again
    passages_name, _sentences_name, records_name = names
    record = _read_record(client, records_name, "manifest")
    if not isinstance(record, dict) or record.get("format_version") != INDEX_FORMAT_VERSION:
        raise IndexLoadError(
            f"The index in Milvus at {config.milvus_uri} has no manifest (its build did not finish) "
            f"or another format than {INDEX_FORMAT_VERSION}. {hint}"
        )
    manifest = _manifest(record)
    if embedder_name is not None and embedder_name != manifest.embedder:
        raise IndexLoadError(
            f"The index in Milvus at {config.milvus_uri} was built with embedder "
            f"{manifest.embedder!r}, not {embedder_name!r}; questions must be embedded by the "
            f"model that embedded the passages. {hint}"
        )
    tokenizer = Tokenizer(
        _read_record(client, records_name, "userdict"),
        single_chars=bool(manifest.tokenizer.get("single_chars")),
    )
    if tokenizer.describe() != dict(manifest.tokenizer) or manifest.lexical.get("analyzer") != ANALYZER:
        raise IndexLoadError(
            f"The index in Milvus at {config.milvus_uri} was tokenized differently from what this "
            f"version of rag does, so BM25 would miss words. {hint}"
        )
    numbered = _read_documents(client, records_name)
    documents = tuple(document for _, document in numbered)
    passage_end, _, document_end = next_rows(client, records_name, manifest)
    if isinstance(previous, MilvusPassageStore) and previous.generation == generation:
        # Articles replaced since have new numbers; deleted ones are gone from the records.
        unchanged = {document.doc_id for number, document in numbered if number < previous.document_end}
        passages = {row: p for row, p in previous.passages.items() if p.doc_id in unchanged}
        passages.update(_read_passages(client, passages_name, passage_end, start=previous.passage_end))
    else:
        passages = dict(_read_passages(client, passages_name, passage_end))
    sentences = _count(client, names[1])
    found = (len(documents), len(passages), sentences)
    if found != (manifest.documents, manifest.passages, manifest.sentences):
        raise IndexLoadError(
            f"Milvus at {config.milvus_uri} holds {found[0]} documents, {found[1]} passages and "
            f"{found[2]} sentence vectors; its manifest says {manifest.documents}, "
            f"{manifest.passages} and {manifest.sentences}. {hint}"
        )
    store = MilvusPassageStore(client, config, names, manifest, documents, passages, tokenizer)
    store.generation, store.passage_end, store.document_end = generation, passage_end, document_end
    return store


class MilvusPassageStore:
    """A ``PassageStore`` whose rankings Milvus computes; passages and documents kept in memory.

    Rows are those Milvus holds when the store opens: an article changed in place later
    (``change_milvus``) adds rows this store does not know and deletes rows it knows; its
    rankings keep only rows it knows, until the app opens the index again.
    """

    def __init__(
        self,
        client: MilvusClient,
        config: Config,
        names: tuple[str, str, str],
        manifest: Manifest,
        documents: tuple[Document, ...],
        passages: dict[int, Passage],
        tokenizer: Tokenizer,
    ) -> None:
        self.client = client
        self.config = config
        self.manifest = manifest
        self.documents = documents
        self.passages = passages  # row → passage; rows of changed articles leave gaps
        self.live_passages = tuple(passages[row] for row in sorted(passages))
        self.tokenizer = tokenizer
        # Where this store's view ends (set by open_milvus): the next reopening reads from here.
        self.generation = ""
        self.passage_end = self.document_end = 0
        # This generation's collections, not the current pointer: a later build must not change
        # what row numbers mean under a store that is still serving.
        self._passages_name, self._sentences_name, _records = names

    def lexical_search(self, query: str, depth: int, filters: SearchFilters | None) -> Ranking:
        text = " ".join(self.tokenizer.tokenize(query))
        if not text:
            return []
        hits = self._search(self._passages_name, text, "sparse", "BM25", depth, filters, [])
        # Stable order for equal scores (passage order), as the local BM25 gives.
        return sorted(self._known((int(hit["id"]), float(hit["distance"])) for hit in hits), key=lambda h: (-h[1], h[0]))

    def dense_search(self, vector: np.ndarray, depth: int, filters: SearchFilters | None) -> Ranking:
        query = np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
        passage_hits = self._known(
            (int(hit["id"]), float(hit["distance"]))
            for hit in self._search(self._passages_name, query, "vector", "IP", depth, filters, [])
        )
        sentence_depth = depth * self.config.sentences_per_candidate
        sentence_hits = self._known(
            (int(hit["entity"]["passage"]), float(hit["distance"]))
            for hit in self._search(
                self._sentences_name, query, "vector", "IP", sentence_depth, filters, ["passage"]
            )
        )
        return best_per_passage(passage_hits, sentence_hits, depth)

    def _known(self, hits: Iterable[tuple[int, float]]) -> Ranking:
        """The hits on rows this store knows (see the class docstring)."""
        return [(row, score) for row, score in hits if row in self.passages]

    def _search(
        self,
        collection: str,
        query: str | list[float],
        field: str,
        metric: str,
        depth: int,
        filters: SearchFilters | None,
        output_fields: list[str],
    ) -> list[Any]:
        results = self.client.search(
            collection,
            data=[query],
            anns_field=field,
            limit=min(depth, MAX_LIMIT),
            filter=filter_expression(filters),
            output_fields=output_fields,
            search_params={"metric_type": metric},
        )
        return list(results[0])


def _passage_rows(
    passages: Sequence[Passage],
    texts: Sequence[str],
    vectors: np.ndarray,
    documents_by_id: dict[str, Document],
    tokenizer: Tokenizer,
    first: int,
) -> Iterator[dict[str, Any]]:
    """The passages collection's rows for ``passages``, numbered from ``first``."""
    for row, (passage, text, vector) in enumerate(zip(passages, texts, vectors), start=first):
        yield {
            "row": row,
            **{name: getattr(passage, name) for name in _PASSAGE_FIELDS},
            **_filter_fields(documents_by_id[passage.doc_id]),
            "search_text": " ".join(tokenizer.tokenize(text)),
            "vector": vector.tolist(),
        }


def _sentence_rows(
    passages: Sequence[Passage],
    sentence_passages: Sequence[int],
    sentence_vectors: np.ndarray,
    documents_by_id: dict[str, Document],
    first_passage: int,
    first: int,
) -> Iterator[dict[str, Any]]:
    """The sentences collection's rows (``sentence_passages`` index ``passages``), numbered from
    ``first``; their passages are numbered from ``first_passage``."""
    for row, (owner, vector) in enumerate(zip(sentence_passages, sentence_vectors), start=first):
        passage = passages[owner]
        yield {
            "row": row,
            "passage": first_passage + int(owner),
            "doc_id": passage.doc_id,
            **_filter_fields(documents_by_id[passage.doc_id]),
            "vector": vector.tolist(),
        }


def filter_expression(filters: SearchFilters | None) -> str:
    """``filters`` as a Milvus boolean expression over doc_id, newspaper and date ("" = all)."""
    if unfiltered(filters):
        return ""
    parts = []
    if filters.doc_ids:
        parts.append(f"doc_id in {_strings(filters.doc_ids)}")
    if filters.newspapers:
        parts.append(f"newspaper in {_strings(filters.newspapers)}")
    if filters.date_from is not None or filters.date_to is not None:
        parts.append('date != ""')  # an undated document never passes a date range
    if filters.date_from is not None:
        parts.append(f"date >= {_strings(filters.date_from)}")
    if filters.date_to is not None:
        parts.append(f"date <= {_strings(filters.date_to)}")
    return " and ".join(parts)


def _strings(value: str | Sequence[str]) -> str:
    """A string or list of strings as a Milvus literal (JSON's quoting and escapes)."""
    return json.dumps(value if isinstance(value, str) else list(value), ensure_ascii=False)


def _filter_fields(document: Document) -> dict[str, str]:
    return {"newspaper": document.newspaper, "date": document.date or ""}


def _varchar(schema: Any, name: str, **extra: Any) -> None:
    schema.add_field(name, DataType.VARCHAR, max_length=_VARCHAR_BYTES, **extra)


def _passages_schema(dim: int) -> Any:
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    for name in _PASSAGE_FIELDS:
        if name in _INT_FIELDS:
            schema.add_field(name, DataType.INT64)
        else:
            _varchar(schema, name)
    _varchar(schema, "newspaper")
    _varchar(schema, "date")
    _varchar(schema, "search_text", enable_analyzer=True, analyzer_params=ANALYZER)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(
        name="bm25",
        function_type=FunctionType.BM25,
        input_field_names=["search_text"],
        output_field_names=["sparse"],
    ))
    return schema


def _sentences_schema(dim: int) -> Any:
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("passage", DataType.INT64)
    for name in ("doc_id", "newspaper", "date"):
        _varchar(schema, name)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    return schema


def _records_schema() -> Any:
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=256)
    _varchar(schema, "body")
    _varchar(schema, "doc_id")  # "" but for a document's rows
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=2)
    return schema


def _create(client: MilvusClient, name: str, schema: Any, config: Config, **options: Any) -> None:
    index_params = client.prepare_index_params()
    # Milvus Lite indexes dense vectors with FLAT, IVF_FLAT or AUTOINDEX only, and its AUTOINDEX
    # is approximate: at 100k passages its top 10 held 0.86 of exact search's. Lite, for one
    # machine, searches exactly (FLAT); a server or cluster picks its own ANN index.
    index_type = "FLAT" if is_lite(config.milvus_uri) else "AUTOINDEX"
    index_params.add_index(field_name="vector", index_type=index_type, metric_type="IP")
    if "sparse" in {field.name for field in schema.fields}:
        # Milvus Lite takes only SPARSE_INVERTED_INDEX or SPARSE_WAND for sparse vectors.
        index_params.add_index(
            field_name="sparse",
            index_type="SPARSE_INVERTED_INDEX",
            metric_type="BM25",
            params={"bm25_k1": config.bm25_k1, "bm25_b": config.bm25_b},
        )
    client.create_collection(name, schema=schema, index_params=index_params, **options)


def _insert(client: MilvusClient, name: str, rows: Iterable[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == _INSERT_BATCH:
            client.insert(name, batch)
            batch = []
    if batch:
        client.insert(name, batch)


def _record_rows(key: str, value: Any, doc_id: str = "") -> list[dict[str, Any]]:
    text = json.dumps(value, ensure_ascii=False)
    chunks = [text[at : at + _CHUNK_CHARS] for at in range(0, len(text), _CHUNK_CHARS)] or [""]
    return [
        {"key": f"{key}#{number:06d}", "body": chunk, "doc_id": doc_id, "vector": [1.0, 0.0]}
        for number, chunk in enumerate(chunks)
    ]


def _document_key(number: int) -> str:
    """The key of document ``number`` (before its chunk number); keys sort in document order."""
    return f"{_DOCUMENT}{number:09d}"


def _document_rows(documents: Sequence[Document], first: int) -> Iterator[dict[str, Any]]:
    """The records rows of ``documents``, numbered from ``first`` (their order when read back)."""
    for number, document in enumerate(documents, start=first):
        yield from _record_rows(_document_key(number), dataclasses.asdict(document), document.doc_id)


def _read_documents(client: MilvusClient, records: str) -> list[tuple[int, Document]]:
    """Every document record with its number, in document order (read with an iterator: there
    may be more chunks than one query returns)."""
    bodies: dict[str, list[tuple[str, str]]] = {}
    iterator = client.query_iterator(
        records, batch_size=4 * _VECTOR_WINDOW, filter=f'key like "{_DOCUMENT}%"', output_fields=["key", "body"]
    )
    while batch := iterator.next():
        for row in batch:
            prefix, chunk = row["key"].rsplit("#", 1)
            bodies.setdefault(prefix, []).append((chunk, row["body"]))
    iterator.close()
    return [
        (int(prefix[len(_DOCUMENT):]), document_from_dict(json.loads("".join(body for _, body in sorted(chunks)))))
        for prefix, chunks in sorted(bodies.items())
    ]


def _replace_record(client: MilvusClient, records: str, key: str, value: Any) -> None:
    """Write ``value`` over the record ``key`` (upserted chunks, then the old surplus ones deleted)."""
    rows = _record_rows(key, value)
    client.upsert(records, rows)
    old = client.query(records, filter=f'key like "{key}#%"', output_fields=["key"], limit=MAX_LIMIT)
    surplus = sorted({row["key"] for row in old} - {row["key"] for row in rows})
    if surplus:
        client.delete(records, ids=surplus)


def _read_record(client: MilvusClient, records: str, key: str) -> Any:
    rows = client.query(records, filter=f'key like "{key}#%"', output_fields=["key", "body"], limit=MAX_LIMIT)
    if not rows:
        return None
    return json.loads("".join(row["body"] for row in sorted(rows, key=lambda row: row["key"])))


def stored_vectors(config: Config) -> dict[str, np.ndarray]:
    """The vectors of the current generation by text: each passage's retrieval text and each
    sentence, for a rebuild that embeds only new text. Empty when there is no index there or
    another embedder built it."""
    client = connect(config)
    try:
        generation = current_generation(client, config)
        if generation is None:
            return {}
        names = collection_names(config, generation)
        for name in names:
            client.load_collection(name)
        record = _read_record(client, names[2], "manifest")
        if not isinstance(record, dict) or record.get("embedder") != config.embedder:
            return {}
        passage_end, sentence_end, _ = next_rows(client, names[2], _manifest(record))
        passages = dict(_read_passages(client, names[0], passage_end))
        known = {
            retrieval_text(passages[row]): vector
            for row, vector, _ in _read_vectors(client, names[0], passage_end)
            if row in passages
        }
        # A passage's sentence rows were inserted in the order of its sentences.
        sentences: dict[int, list[np.ndarray]] = {}
        for _, vector, owner in _read_vectors(client, names[1], sentence_end, "passage"):
            sentences.setdefault(owner, []).append(vector)
        for owner, vectors in sentences.items():
            if owner in passages:
                known.update(zip((s.text for s in split_sentences(passages[owner].text)), vectors))
        return known
    finally:
        client.close()


def _read_vectors(
    client: MilvusClient, name: str, end: int, owner_field: str | None = None
) -> Iterator[tuple[int, np.ndarray, int]]:
    """``(row, vector, owner)`` for every row below ``end``, in row order; ``owner`` is the row's
    ``owner_field`` (-1 without one)."""
    fields = ["row", "vector", *([owner_field] if owner_field else [])]
    for start in range(0, end, _VECTOR_WINDOW):
        stop = min(start + _VECTOR_WINDOW, end)
        rows = client.query(name, filter=f"row >= {start} and row < {stop}", output_fields=fields, limit=stop - start)
        for row in sorted(rows, key=lambda row: row["row"]):
            owner = int(row[owner_field]) if owner_field else -1
            yield int(row["row"]), np.asarray(row["vector"], dtype=np.float32), owner


def _read_passages(client: MilvusClient, name: str, end: int, start: int = 0) -> Iterator[tuple[int, Passage]]:
    """``(row, passage)`` for every row from ``start`` to below ``end``, in row order, read in
    windows (a Milvus query returns at most MAX_LIMIT rows)."""
    for first in range(start, end, MAX_LIMIT):
        stop = min(first + MAX_LIMIT, end)
        rows = client.query(
            name, filter=f"row >= {first} and row < {stop}", output_fields=["row", *_PASSAGE_FIELDS],
            limit=stop - first,
        )
        for row in sorted(rows, key=lambda row: row["row"]):
            yield int(row["row"]), Passage(**{field: row[field] for field in _PASSAGE_FIELDS})


def _count(client: MilvusClient, name: str) -> int:
    """Rows in collection ``name`` now (deleted ones not counted)."""
    return int(client.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"])


def next_rows(client: MilvusClient, records: str, manifest: Manifest) -> tuple[int, int, int]:
    """The first passage row, sentence row and document number not yet used in a generation.
    Before any change in place, each is numbered from 0 without gaps."""
    rows = _read_record(client, records, _ROWS)
    if not rows:
        return manifest.passages, manifest.sentences, manifest.documents
    return int(rows["passages"]), int(rows["sentences"]), int(rows["documents"])

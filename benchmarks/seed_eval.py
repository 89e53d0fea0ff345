"""Quality and speed on the project's own questions (eval/seed_questions.jsonl) over corpus/.

Usage: python benchmarks/seed_eval.py [--questions FILE ...] [--index DIR] [--rebuild] [--sweep]
[--reader PATH] [--passages N]
``--questions eval/dev_questions.jsonl`` runs the news development set (settings are chosen on
it); ``--questions eval/public_questions.jsonl`` the held-out set written blind (never tuned on).
Builds the index into --index when missing or stale, asks every question in the three
ranking modes, and prints recall@1/5, MRR, EM/F1, refusal accuracy, overall F1 (SQuAD 2.0:
refusing an unanswerable question scores 1) and warm latency.
--sweep prints answer quality and refusal accuracy for a range of answer thresholds, and the
threshold with the best overall F1 on the questions asked.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from harness import Question, dump, peak_memory_mb, run, table  # noqa: E402

from rag.config import Config  # noqa: E402
from rag.index.build import build_index, index_problem  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402


def load_questions(path: Path) -> list[Question]:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            questions.append(Question(record["id"], record["question"], tuple(record["answers"])))
    return questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--questions", type=Path, nargs="+", default=[ROOT / "eval" / "seed_questions.jsonl"])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--modes", default="hybrid,lexical,semantic")
    parser.add_argument("--dump", type=Path, default=None, help="write each hybrid answer here (JSON lines)")
    parser.add_argument("--reader", type=Path, default=None, help="reader weights (default: as Config)")
    parser.add_argument("--passages", type=int, default=None, help="passages read (default: as Config)")
    args = parser.parse_args()

    config = Config()
    if args.reader is not None:
        config = replace(config, reader_path=args.reader)
    if args.passages is not None:
        config = replace(config, answer_passages=args.passages)
    if args.rebuild or index_problem(args.corpus, args.index, config) is not None:
        build_index(args.corpus, args.index, config, progress=False)
    questions = [question for path in args.questions for question in load_questions(path)]
    # No answer or question-vector cache: every mode asks the same questions, and the timings
    # must include embedding and reading each one.
    pipeline = Pipeline.load(
        args.index,
        replace(config, answer_min_score=float("-inf"), query_vector_cache_size=0, answer_cache_size=0),
    )
    pipeline.warm_up()
    run(pipeline, questions[:5])  # load dictionaries and models before timing

    modes = args.modes.split(",")
    results = [run(pipeline, questions, mode=mode) for mode in modes]
    if args.dump is not None:
        dump(results[0], args.dump)
    print(f"Seed corpus: {len(questions)} questions ({', '.join(path.name for path in args.questions)}), "
          f"index {args.index}, reader {config.reader_path or 'shipped'}, {config.answer_passages} passage(s) read")
    print(f"no-answer threshold {config.answer_min_score:.2f} (Config.answer_min_score)")
    print(table([r.summary(config.answer_min_score) for r in results], labels=modes))
    print(f"peak RSS {peak_memory_mb():.0f} MB")
    if args.sweep:
        _sweep(results[0])


def _sweep(scores) -> None:
    """Answer quality against refusal accuracy for a range of no-answer thresholds."""
    print("| threshold | EM | F1 | answered | refusal acc | overall F1 |\n|---|---|---|---|---|---|")
    best = scores.best_threshold()
    for threshold in sorted({i / 4 for i in range(-16, 17)} | {best}):
        row = scores.summary(threshold)
        print(f"| {threshold:.2f}{' (best)' if threshold == best else ''} | {row['EM']:.3f} | {row['F1']:.3f} | "
              f"{row['answered']:.3f} | {row.get('refusal acc', float('nan')):.3f} | {row['overall F1']:.3f} |")


if __name__ == "__main__":
    main()

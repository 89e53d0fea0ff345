"""The reader's refusals on CMRC 2018 trial, open-domain: ``python benchmarks/calibrate.py``.

The product's threshold is chosen on news questions (``benchmarks/seed_eval.py --sweep`` on the
dev and seed sets); this script measures what it does on CMRC's Wikipedia questions, and the
trade-off there for each number of passages read and retrieval weight.

All 256 trial contexts are indexed as in ``benchmarks/cmrc.py``. Each question is asked twice:
against the whole index (answerable: its own context is there) and against the index without
its own context (the retrieval filter keeps every other document), where nothing can answer it —
the case of a user asking about something the newspaper never wrote. The reader reads the top
passages of both, once; then, for each number of passages read, weight of the retrieval score
and threshold, it scores EM / F1 on the answerable half (a refusal scores 0) and the share of the
other half refused. Prints, for each setting, the highest threshold that still answers 90 % of
the answerable half (the rule the threshold was chosen by until run 3), and draws the product
setting's trade-off between answers given and refusals to ``docs/threshold.png``.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from cmrc import DATA, questions_of, write_corpus  # noqa: E402
from tqdm import tqdm  # noqa: E402

from rag.config import Config  # noqa: E402
from rag.evaluation import exact_match, f1_score  # noqa: E402
from rag.index.build import build_index, index_problem  # noqa: E402
from rag.models import SearchFilters  # noqa: E402
from rag.pipeline import Pipeline  # noqa: E402

PASSAGES = (1, 2, 3)
WEIGHTS = (0.0, 1.0, 2.0, 4.0)
ANSWERED = 0.9  # share of answerable questions the chosen threshold must still answer


def read_all(pipeline: Pipeline, questions, depth: int) -> list[dict]:
    """Per question and setting (own context indexed or not): each passage's retrieval score,
    span margin, EM and F1."""
    documents = [document.doc_id for document in pipeline.documents]
    records = []
    for question in tqdm(questions, desc="reading"):
        if not question.question.strip():
            continue
        record = {"qid": question.qid}
        others = SearchFilters(doc_ids=tuple(d for d in documents if d != question.doc_id))
        for setting, filters in (("own", None), ("without", others)):
            hits = pipeline.retriever.search(question.question, depth, filters=filters)
            spans = pipeline.reader.spans(question.question, [hit.passage.text for hit in hits])
            record[setting] = [
                {
                    "retrieval": hit.score,
                    "margin": span.margin,
                    "em": exact_match(hit.passage.text[span.start : span.end], question.answers),
                    "f1": f1_score(hit.passage.text[span.start : span.end], question.answers),
                }
                for hit, span in zip(hits, spans)
                if span is not None
            ]
        records.append(record)
    return records


def choose(passages: list[dict], count: int, weight: float) -> dict | None:
    scored = [dict(p, score=p["margin"] + weight * p["retrieval"]) for p in passages[:count]]
    return max(scored, key=lambda p: p["score"], default=None)


def sweep(records: list[dict], count: int, weight: float) -> list[dict]:
    """Quality at every threshold that changes a decision."""
    own = [choose(r["own"], count, weight) for r in records]
    without = [choose(r["without"], count, weight) for r in records]
    cuts = sorted({round(p["score"], 2) for p in own + without if p is not None})
    rows = []
    for threshold in cuts[:: max(len(cuts) // 200, 1)]:
        kept = [p for p in own if p is not None and p["score"] >= threshold]
        f1 = sum(p["f1"] for p in kept) / len(records)
        refused = sum(p is None or p["score"] < threshold for p in without) / len(records)
        rows.append({
            "threshold": threshold,
            "EM": sum(p["em"] for p in kept) / len(records),
            "F1": f1,
            "answered": len(kept) / len(records),
            "refused": refused,
            "mixed F1": (f1 + refused) / 2,
        })
    return rows


def draw(rows: list[dict], chosen: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.2))
    thresholds = [row["threshold"] for row in rows]
    for key, label in (
        ("answered", "answerable questions answered"),
        ("F1", "F1 on answerable (refusal = 0)"),
        ("refused", "unanswerable questions refused"),
        ("mixed F1", "mean of F1 and refusal"),
    ):
        axis.plot(thresholds, [row[key] for row in rows], label=label)
    axis.axvline(chosen, color="grey", linestyle="--", label=f"Config.answer_min_score = {chosen:g}")
    axis.set_xlabel("answer score threshold (span margin + weight × retrieval score)")
    axis.set_ylabel("share of CMRC 2018 trial questions")
    axis.set_title("No-answer threshold: answers given against refusals")
    axis.legend(fontsize=8, loc="lower left")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "cmrc")
    parser.add_argument("--limit", type=int, default=400, help="questions (reading costs minutes)")
    parser.add_argument("--reuse", action="store_true", help="reuse the last run's readings")
    parser.add_argument("--figure", type=Path, default=ROOT / "docs" / "threshold.png")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    readings = args.out / "calibration.json"
    config = Config()
    if not (args.reuse and readings.exists()):
        data = json.loads(DATA.read_text(encoding="utf-8"))
        corpus, index = args.out / "contexts.jsonl", args.out / "index"
        write_corpus(data, corpus)
        if index_problem(corpus, index, config) is not None:
            build_index(corpus, index, config, progress=False)
        pipeline = Pipeline.load(index, replace(config, query_vector_cache_size=0, answer_cache_size=0))
        records = read_all(pipeline, questions_of(data)[: args.limit], max(PASSAGES))
        readings.write_text(json.dumps(records), encoding="utf-8")
    records = json.loads(readings.read_text(encoding="utf-8"))

    print(f"CMRC 2018 trial, {len(records)} questions, each with and without its own context indexed")
    print(f"At the highest threshold that still answers {ANSWERED:.0%} of the answerable half "
          "(the rule used until run 3; the product's threshold is now chosen on news questions):")
    print("| passages read | retrieval weight | threshold | EM | F1 | answered | refused | mean of F1 and refused |")
    print("|---|---|---|---|---|---|---|---|")
    for count in PASSAGES:
        for weight in WEIGHTS:
            kept = [row for row in sweep(records, count, weight) if row["answered"] >= ANSWERED]
            row = max(kept, key=lambda row: row["threshold"])
            print(f"| {count} | {weight:g} | {row['threshold']:.2f} | {row['EM']:.3f} | {row['F1']:.3f} | "
                  f"{row['answered']:.3f} | {row['refused']:.3f} | {row['mixed F1']:.3f} |")
    rows = sweep(records, config.answer_passages, config.reader_retrieval_weight)
    print(f"\nProduct settings: {config.answer_passages} passages, weight {config.reader_retrieval_weight:g}, "
          f"threshold {config.answer_min_score:g}")
    at = min(rows, key=lambda row: abs(row["threshold"] - config.answer_min_score))
    print("  " + ", ".join(f"{key} {value:.3f}" for key, value in at.items()))
    draw(rows, config.answer_min_score, args.figure)
    print(f"figure: {args.figure}")


if __name__ == "__main__":
    main()

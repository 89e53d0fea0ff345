"""Reader-only benchmark: ``python benchmarks/reader_cmrc.py [--limit N] [--reader PATH]``.

CMRC 2018 trial (the reader's validation set): each question is read against its own gold
context, in the overlapping windows the reader takes, and answered with the best span of any
window, never refused (every CMRC question has an answer). Prints EM / F1 (``rag.evaluation``,
the official CMRC scoring) and the reading time per question, and draws the training run's
validation checks (from the model card) to ``docs/reader_validation.png``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.config import Config  # noqa: E402
from rag.evaluation import exact_match, f1_score  # noqa: E402
from rag.reading.reader import DEFAULT_READER, SpanReader  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "cmrc2018" / "cmrc2018_trial.json"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--reader", type=Path, default=DEFAULT_READER)
    parser.add_argument("--limit", type=int, default=None, help="read only the first N questions")
    parser.add_argument("--figure", type=Path, default=ROOT / "docs" / "reader_validation.png")
    parser.add_argument("--float32", action="store_true", help="full-precision weights (default: as Config)")
    parser.add_argument("--max-tokens", type=int, default=None, help="tokens per input (default: as trained)")
    args = parser.parse_args(argv)

    int8 = Config().reader_int8 and not args.float32
    reader = SpanReader.load(args.reader, int8=int8, max_tokens=args.max_tokens)
    data = json.loads(args.data.read_text(encoding="utf-8"))["data"]
    asked = [
        (qa["question"], paragraph["context"], [a["text"] for a in qa["answers"]])
        for article in data
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
        if qa["question"].strip()
    ][: args.limit]
    em, f1, seconds = [], [], []
    for question, context, golds in asked:
        started = time.perf_counter()
        (span,) = reader.spans(question, [context])
        seconds.append(time.perf_counter() - started)
        predicted = context[span.start : span.end] if span is not None else ""
        em.append(exact_match(predicted, golds))
        f1.append(f1_score(predicted, golds))
    precision = "int8" if int8 else "float32"
    print(f"CMRC 2018 trial, gold contexts, {len(asked)} questions, reader {args.reader.name} "
          f"({reader.card.steps} steps, {precision}, {reader.max_tokens} tokens per input)")
    print(f"EM {statistics.fmean(em):.3f}  F1 {statistics.fmean(f1):.3f}  "
          f"reading {1000 * statistics.median(seconds):.0f} ms per question (median)")
    draw_validation(reader.card, args.figure)
    print(f"training's validation curve: {args.figure}")


def draw_validation(card, path: Path) -> None:
    """The validation checks of the training runs behind the reader (its model card: the runs it
    went on from, ``train --init``, then its own) by training steps counted from the start."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.4, 3.8))
    runs = [*card.earlier, {"steps": card.steps, "history": card.history}]
    started = 0  # steps before the run began (a card's steps count from the first run)
    for number, run in enumerate(runs, start=1):
        history = run["history"]
        steps = [started + point["step"] for point in history]
        questions = history[-1]["questions"] if history else 0
        (line,) = axis.plot(steps, [point["f1"] for point in history], marker="o", label=f"run {number}: F1 ({questions} questions)")
        axis.plot(steps, [point["em"] for point in history], marker="o", linestyle="--", color=line.get_color(), label=f"run {number}: EM")
        started = run["steps"]
    axis.set_xlabel("training steps from the start (16 windows each)")
    axis.set_ylabel("CMRC 2018 trial, gold contexts")
    axis.set_title("The reader's validation during training")
    axis.set_ylim(0, 1)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


if __name__ == "__main__":
    main()

"""Follow-ups asked with and without the rewrite: ``python benchmarks/followups.py [--index DIR]``.

For each pair in ``eval/followups.jsonl`` (``id``, ``first``, ``followup``, ``answers``,
``source``) the follow-up is asked twice — as typed, and as rewritten by
``rag.reading.followup.FollowUpResolver`` from the first question — and both are scored: answer EM/F1
against the gold answers and recall@k, where a passage is relevant when it comes from the
gold ``source`` and it or its section heading contains a gold answer (both normalised). Prints a table, and each
rewrite so a person can judge it.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag.config import Config
from rag.evaluation import exact_match, f1_score, normalize_answer, recall_at_k
from rag.reading.followup import FollowUpResolver
from rag.models import Hit, Result
from rag.pipeline import Pipeline


def _relevant(hit: Hit, pair: dict) -> bool:
    # The section heading counts: "吉林市长 王吉：…" heads the passages that answer 吉林市长是谁.
    text = normalize_answer(f"{hit.passage.section}\n{hit.passage.text}")
    return hit.passage.source == pair["source"] and any(
        normalize_answer(answer) in text for answer in pair["answers"]
    )


def _scores(results: list[Result], pairs: list[dict], k: int) -> dict[str, float]:
    count = len(pairs)
    em = f1 = 0.0
    relevance = []
    for result, pair in zip(results, pairs, strict=True):
        predicted = result.answer.text if result.answer is not None else ""
        em += exact_match(predicted, pair["answers"])
        f1 += f1_score(predicted, pair["answers"])
        relevance.append([_relevant(hit, pair) for hit in result.hits])
    return {
        "EM": em / count,
        "F1": f1 / count,
        f"recall@{k}": recall_at_k(relevance, k),
        "answered": sum(result.answer is not None for result in results) / count,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("index"))
    parser.add_argument("--pairs", type=Path, default=Path("eval/followups.jsonl"))
    parser.add_argument("--k", type=int, default=5, help="passages retrieved per question")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON only")
    args = parser.parse_args(argv)

    config = Config(index_dir=args.index)
    pipeline = Pipeline.load(args.index, config)
    resolver = FollowUpResolver(
        pipeline.tokenizer.user_dict_lines, max_chars=config.followup_max_chars
    )
    lines = args.pairs.read_text(encoding="utf-8").splitlines()
    pairs = [json.loads(line) for line in lines if line.strip()]

    plain, rewritten, rewrites = [], [], []
    for pair in pairs:
        followup = resolver.resolve(pair["followup"], pair["first"])
        rewrites.append(followup)
        plain.append(pipeline.ask(pair["followup"], k=args.k))
        rewritten.append(pipeline.ask(followup.rewritten, k=args.k))

    scores = {
        "pairs": len(pairs),
        "as typed": _scores(plain, pairs, args.k),
        "rewritten": _scores(rewritten, pairs, args.k),
    }
    if args.json:
        print(json.dumps(scores, ensure_ascii=False, indent=2))
        return 0
    for pair, followup, before, after in zip(pairs, rewrites, plain, rewritten, strict=True):
        shown = [r.answer.text if r.answer is not None else "—" for r in (before, after)]
        print(f"{pair['id']}  {pair['first']} → {pair['followup']}")
        print(f"      rewrite ({followup.reason}): {followup.rewritten}")
        gold = " / ".join(pair["answers"])
        print(f"      answer as typed: {shown[0]} | rewritten: {shown[1]} | gold: {gold}")
    metrics = list(scores["as typed"])
    print(f"\n{len(pairs)} follow-up pairs, k = {args.k}")
    print(f"{'':>12}" + "".join(f"{name:>12}" for name in metrics))
    for label in ("as typed", "rewritten"):
        print(f"{label:>12}" + "".join(f"{scores[label][name]:>12.3f}" for name in metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())

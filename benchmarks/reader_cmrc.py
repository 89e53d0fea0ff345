"""Reader-only benchmark: ``python benchmarks/reader_cmrc.py [--seed]``.

CMRC 2018 trial set (default): every question is answered from its own gold context, cut into
passages of whole sentences (``Config.passage_min_chars``–``passage_max_chars``), in two settings:

- ``all``: every passage of the context, in reading order, as hits of one score;
- ``top3``: the three passages sharing the most character bigrams with the question.

Passages carry their article's title, as the product's do (the reader counts the question's words
found in the title as found in every sentence of the document).

It prints EM / F1 (``rag.evaluation``) for the even-numbered questions (the only ones rules were
tuned on), the odd-numbered ones (held out) and all, per expected answer type, and the time the
reader takes per question. A question the reader refuses counts as an empty answer.

``--wrong-context`` asks every CMRC question twice, against its own context and against the
context of the next article (which cannot answer it), and prints for each score threshold the
share of right-context answers kept and of wrong-context answers refused: a check of the
confidence score on more than the seed set's few unanswerable questions.

``--seed`` reads the project's own questions (``eval/seed_questions.jsonl``) instead and gives the
reader every passage of the question's article (``corpus/``, cleaned and cut by
``rag.passages``); unanswerable questions get the five passages of the corpus that share the most
character bigrams with them. It prints EM / F1 and, for a range of score thresholds, how many
answerable questions keep their answer and how many unanswerable ones are refused.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.config import Config  # noqa: E402
from rag.corpus import load_corpus, user_dictionary  # noqa: E402
from rag.errors import QuestionError  # noqa: E402
from rag.evaluation import exact_match, f1_score  # noqa: E402
from rag.extraction import AnswerExtractor  # noqa: E402
from rag.models import Answer, Hit, Passage  # noqa: E402
from rag.normalize import normalize  # noqa: E402
from rag.passages import build_passages  # noqa: E402
from rag.question import analyze_question  # noqa: E402
from rag.segmentation import split_sentences  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cmrc2018" / "cmrc2018_trial.json"
SETTINGS = ("all", "top3")
THRESHOLDS = (0.0, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)


@dataclass(frozen=True)
class Example:
    index: int  # position in the file, 0-based: even ones are for tuning
    context_id: str
    title: str  # the article's: the reader reads a passage as part of its document
    context: str
    question: str
    golds: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    question: str
    golds: tuple[str, ...]
    group: str  # answer type asked for (CMRC) or the seed question's type
    prediction: str
    score: float
    em: float
    f1: float
    seconds: float


def load_examples(path: Path) -> list[Example]:
    data = json.loads(path.read_text(encoding="utf-8"))
    examples: list[Example] = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                golds = tuple(answer["text"] for answer in qa["answers"])
                context = paragraph["context"]
                examples.append(
                    Example(
                        len(examples),
                        paragraph["id"],
                        article.get("title", ""),
                        context,
                        qa["question"],
                        golds,
                    )
                )
    return examples


def context_passages(example: Example, config: Config) -> list[Passage]:
    """The context cut into runs of whole sentences of about min–max characters."""
    spans: list[tuple[int, int]] = []
    start = end = None
    for sentence in split_sentences(example.context):
        too_long = start is not None and sentence.end - start > config.passage_max_chars
        if too_long and end - start >= config.passage_min_chars:
            spans.append((start, end))
            start = None
        start = sentence.start if start is None else start
        end = sentence.end
    if start is not None:
        spans.append((start, end))
    return [
        Passage(
            passage_id=f"{example.context_id}#p{number:03d}",
            doc_id=example.context_id,
            source=example.context_id,
            title=example.title,
            section="",
            paragraph=1,
            start=start,
            end=end,
            text=example.context[start:end],
        )
        for number, (start, end) in enumerate(spans, start=1)
    ]


def bigrams(text: str) -> set[str]:
    normalized = normalize(text)
    return {normalized[i : i + 2] for i in range(len(normalized) - 1)}


def by_overlap(question: str, passages: list[Passage], k: int) -> list[Passage]:
    """The ``k`` passages sharing the most character bigrams with the question."""
    wanted = bigrams(question)
    return sorted(passages, key=lambda passage: len(wanted & bigrams(passage.text)), reverse=True)[
        :k
    ]


def make_hits(example: Example, setting: str, config: Config) -> list[Hit]:
    passages = context_passages(example, config)
    if setting == "top3":
        passages = by_overlap(example.question, passages, 3)
    return [Hit(passage, 1.0) for passage in passages]


def answer(
    extractor: AnswerExtractor, question: str, hits: list[Hit]
) -> tuple[Answer | None, float]:
    """The reader's answer (None when it refuses or the question is empty) and the seconds taken."""
    began = time.perf_counter()
    try:
        found = extractor.extract(question, hits)
    except QuestionError:
        found = None
    return found, time.perf_counter() - began


def outcome(question: str, golds: tuple[str, ...], group: str, found, seconds: float) -> Outcome:
    prediction = found.text if found is not None else ""
    score = found.score if found is not None else 0.0
    em, f1 = exact_match(prediction, golds), f1_score(prediction, golds)
    return Outcome(question, golds, group, prediction, score, em, f1, seconds)


def run_cmrc(
    examples: list[Example], setting: str, extractor: AnswerExtractor, config: Config
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for example in examples:
        try:
            group = analyze_question(example.question).answer_type.value
        except QuestionError:
            group = "(empty question)"
        found, seconds = answer(extractor, example.question, make_hits(example, setting, config))
        if found is not None and example.context[found.start : found.end] != found.text:
            raise AssertionError(f"question {example.index}: offsets do not match the answer text")
        outcomes.append(outcome(example.question, example.golds, group, found, seconds))
    return outcomes


def summary(outcomes: list[Outcome]) -> str:
    if not outcomes:
        return "n=   0"
    em = statistics.mean(item.em for item in outcomes)
    f1 = statistics.mean(item.f1 for item in outcomes)
    return f"n={len(outcomes):4d}  EM {em:.3f}  F1 {f1:.3f}"


def print_groups(outcomes: list[Outcome]) -> None:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for item in outcomes:
        groups[item.group].append(item)
    for group, members in sorted(groups.items(), key=lambda entry: -len(entry[1])):
        print(f"    {group:<18} {summary(members)}")
    milliseconds = sorted(item.seconds * 1000 for item in outcomes)
    p95 = milliseconds[int(0.95 * (len(milliseconds) - 1))]
    print(
        f"  time per question: mean {statistics.mean(milliseconds):.2f} ms, "
        f"p95 {p95:.2f} ms, max {milliseconds[-1]:.2f} ms"
    )


def print_worst(outcomes: list[Outcome], count: int) -> None:
    for item in sorted(outcomes, key=lambda entry: entry.f1)[:count]:
        print(f"  [{item.group}] {item.question}")
        print(f"      gold: {item.golds[0] if item.golds else '(none)'}")
        print(f"      got:  {item.prediction} (score {item.score:.2f}, F1 {item.f1:.2f})")


def cmrc_report(args: argparse.Namespace) -> None:
    config = Config(answer_passages=10)  # setting "all" must see the whole context
    extractor = AnswerExtractor(config)
    extractor.warm_up()
    examples = load_examples(args.data)
    for setting in SETTINGS if args.setting == "both" else (args.setting,):
        outcomes = run_cmrc(examples, setting, extractor, config)
        even = [
            item for item, example in zip(outcomes, examples, strict=True) if example.index % 2 == 0
        ]
        odd = [item for item, example in zip(outcomes, examples, strict=True) if example.index % 2]
        print(f"== CMRC 2018 trial, reader only, setting {setting}")
        print(f"  even (tuning)  {summary(even)}")
        print(f"  odd (held out) {summary(odd)}")
        print(f"  all            {summary(outcomes)}")
        print_groups(outcomes)
        print_worst(outcomes, args.errors)


def wrong_context_report(args: argparse.Namespace) -> None:
    config = Config(answer_passages=10)
    extractor = AnswerExtractor(config)
    extractor.warm_up()
    examples = load_examples(args.data)
    contexts = list(dict.fromkeys((example.context_id, example.context) for example in examples))
    # Each trial context is its own Wikipedia article, so the next one is about something else.
    following = {
        context_id: contexts[(index + 1) % len(contexts)]
        for index, (context_id, _) in enumerate(contexts)
    }
    right: list[float] = []
    wrong: list[float] = []
    for example in examples:
        found, _ = answer(extractor, example.question, make_hits(example, "all", config))
        right.append(found.score if found is not None else 0.0)
        other_id, other_context = following[example.context_id]
        moved = replace(example, context_id=other_id, context=other_context)
        found, _ = answer(extractor, example.question, make_hits(moved, "all", config))
        wrong.append(found.score if found is not None else 0.0)
    print("== CMRC 2018 trial: own context vs the next article's context (no answer)")
    print("  threshold  own context kept  wrong context refused")
    for threshold in THRESHOLDS:
        kept = sum(score >= threshold for score in right) / len(right)
        refused = sum(score < threshold for score in wrong) / len(wrong)
        print(f"  {threshold:9.2f}  {kept:16.3f}  {refused:21.3f}")


def seed_report(args: argparse.Namespace) -> None:
    config = Config()
    corpus = load_corpus(args.corpus)
    passages = {document.source: build_passages(document, config) for document in corpus.documents}
    everything = [passage for group in passages.values() for passage in group]
    longest = max(len(group) for group in passages.values())
    extractor = AnswerExtractor(
        replace(config, answer_passages=longest), user_dict_lines=user_dictionary(args.corpus)
    )
    extractor.warm_up()
    lines = args.questions.read_text(encoding="utf-8").splitlines()
    answerable: list[Outcome] = []
    unanswerable: list[Outcome] = []
    for record in (json.loads(line) for line in lines if line.strip()):
        golds = tuple(record["answers"])
        if golds:
            group = passages[record["source"]]
        else:
            group = by_overlap(record["question"], everything, 5)
        # One score for all: the article's passages are not a ranking, and the reader weighs a
        # passage retrieval scores far below the first less.
        hits = [Hit(passage, 1.0) for passage in group]
        found, seconds = answer(extractor, record["question"], hits)
        item = outcome(record["question"], golds, record["type"], found, seconds)
        (answerable if golds else unanswerable).append(item)
    print("== seed questions, reader only (answerable: every passage of the article)")
    print(f"  answerable     {summary(answerable)}")
    print_groups(answerable)
    print("  threshold  answerable kept  F1 (refusals count 0)  unanswerable refused")
    for threshold in THRESHOLDS:
        kept = [item for item in answerable if item.score >= threshold]
        f1 = sum(item.f1 for item in kept) / len(answerable)
        refused = sum(item.score < threshold for item in unanswerable)
        print(
            f"  {threshold:9.2f}  {len(kept):6d}/{len(answerable)}  {f1:21.3f}"
            f"  {refused:12d}/{len(unanswerable)}"
        )
    print_worst(answerable, args.errors)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="CMRC 2018 SQuAD-style JSON"
    )
    parser.add_argument("--setting", choices=(*SETTINGS, "both"), default="both")
    parser.add_argument("--errors", type=int, default=0, help="print this many worst answers")
    parser.add_argument("--seed", action="store_true", help="run the project's seed questions")
    parser.add_argument(
        "--wrong-context", action="store_true", help="score CMRC questions on another article"
    )
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "seed_questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    args = parser.parse_args(argv)
    if args.seed:
        seed_report(args)
    elif args.wrong_context:
        wrong_context_report(args)
    else:
        cmrc_report(args)


if __name__ == "__main__":
    main()

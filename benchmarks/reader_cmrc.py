"""Reader-only benchmark on the CMRC 2018 trial set: ``python benchmarks/reader_cmrc.py``.

Every question is answered from its own gold context, cut into passages of whole sentences
(``Config.passage_min_chars``–``passage_max_chars``), in two settings:

- ``all``: every passage of the context, in reading order, as hits with decreasing scores;
- ``top3``: the three passages sharing the most character bigrams with the question.

Prints EM / F1 (``rag.evaluation``) for even-numbered questions (the ones rules may be tuned
on), odd-numbered ones (held out) and all, per expected answer type, and the time per question.

``--seed`` instead reads the project's own questions (``eval/seed_questions.jsonl``) and gives
the reader every passage of the question's article (``corpus/``, cleaned and cut by
``rag.passages``); unanswerable questions get the five passages of the corpus that share the
most character bigrams with them. It prints EM / F1 and, over a range of thresholds, how many
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.corpus import load_corpus, user_dictionary  # noqa: E402

from rag.config import Config  # noqa: E402
from rag.errors import QuestionError  # noqa: E402
from rag.evaluation import exact_match, f1_score  # noqa: E402
from rag.extraction import AnswerExtractor  # noqa: E402
from rag.models import Hit, Passage  # noqa: E402
from rag.normalize import normalize  # noqa: E402
from rag.passages import build_passages  # noqa: E402
from rag.question import analyze_question  # noqa: E402
from rag.segmentation import split_sentences  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path("/work/shared/data/cmrc2018/cmrc2018_trial.json")
SETTINGS = ("all", "top3")


@dataclass(frozen=True)
class Example:
    index: int  # position in the file, 0-based: even ones are for tuning
    context_id: str
    context: str
    question: str
    golds: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    example: Example
    answer_type: str
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
                examples.append(
                    Example(len(examples), paragraph["id"], paragraph["context"], qa["question"], golds)
                )
    return examples


def context_passages(example: Example, config: Config) -> list[Passage]:
    """The context cut into runs of whole sentences of about min–max characters."""
    passages: list[Passage] = []
    chunk: list = []

    def flush() -> None:
        start, end = chunk[0].start, chunk[-1].end
        passages.append(
            Passage(
                passage_id=f"{example.context_id}#p{len(passages) + 1:03d}",
                doc_id=example.context_id,
                source=example.context_id,
                title="",
                section="",
                paragraph=1,
                start=start,
                end=end,
                text=example.context[start:end],
            )
        )
        chunk.clear()

    for sentence in split_sentences(example.context):
        if chunk and sentence.end - chunk[0].start > config.passage_max_chars:
            if chunk[-1].end - chunk[0].start >= config.passage_min_chars:
                flush()
        chunk.append(sentence)
    if chunk:
        flush()
    return passages


def _bigrams(text: str) -> set[str]:
    normalized = normalize(text)
    return {normalized[i : i + 2] for i in range(len(normalized) - 1)}


def make_hits(example: Example, setting: str, config: Config) -> list[Hit]:
    passages = context_passages(example, config)
    if setting == "all":
        return [Hit(passage, 1.0 - 0.05 * rank) for rank, passage in enumerate(passages)]
    question = _bigrams(example.question)
    overlap = sorted(passages, key=lambda passage: len(question & _bigrams(passage.text)), reverse=True)
    return [Hit(passage, 1.0 - 0.05 * rank) for rank, passage in enumerate(overlap[:3])]


def run(examples: list[Example], setting: str, extractor: AnswerExtractor, config: Config) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for example in examples:
        hits = make_hits(example, setting, config)
        try:
            answer_type = analyze_question(example.question).answer_type.value
        except QuestionError:
            answer_type = "(empty question)"
        began = time.perf_counter()
        try:
            answer = extractor.extract(example.question, hits)
        except QuestionError:
            answer = None
        seconds = time.perf_counter() - began
        if answer is not None:
            document_text = example.context
            if document_text[answer.start : answer.end] != answer.text:
                raise AssertionError(f"offsets do not match the text for question {example.index}")
        prediction = answer.text if answer is not None else ""
        outcomes.append(
            Outcome(
                example,
                answer_type,
                prediction,
                answer.score if answer is not None else 0.0,
                exact_match(prediction, example.golds),
                f1_score(prediction, example.golds),
                seconds,
            )
        )
    return outcomes


def _summary(outcomes: list[Outcome]) -> str:
    if not outcomes:
        return "n=0"
    em = statistics.mean(outcome.em for outcome in outcomes)
    f1 = statistics.mean(outcome.f1 for outcome in outcomes)
    return f"n={len(outcomes):4d}  EM {em:.3f}  F1 {f1:.3f}"


def report(setting: str, outcomes: list[Outcome]) -> None:
    even = [outcome for outcome in outcomes if outcome.example.index % 2 == 0]
    odd = [outcome for outcome in outcomes if outcome.example.index % 2 == 1]
    print(f"== setting {setting}")
    print(f"  even (tuning)  {_summary(even)}")
    print(f"  odd (held out) {_summary(odd)}")
    print(f"  all            {_summary(outcomes)}")
    by_type: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_type[outcome.answer_type].append(outcome)
    for answer_type, group in sorted(by_type.items(), key=lambda item: -len(item[1])):
        print(f"    {answer_type:<18} {_summary(group)}")
    milliseconds = sorted(outcome.seconds * 1000 for outcome in outcomes)
    print(
        f"  time per question: mean {statistics.mean(milliseconds):.2f} ms, "
        f"p95 {milliseconds[int(0.95 * (len(milliseconds) - 1))]:.2f} ms, max {milliseconds[-1]:.2f} ms"
    )


def seed_report(questions_path: Path, corpus_path: Path, errors: int) -> None:
    """Reader-only EM / F1 and refusals on the project's seed questions."""
    config = Config()
    corpus = load_corpus(corpus_path)
    passages = {document.source: build_passages(document, config) for document in corpus.documents}
    everything = [passage for group in passages.values() for passage in group]
    extractor = AnswerExtractor(replace(config, answer_passages=max(map(len, passages.values()))),
                                user_dict_lines=user_dictionary(corpus_path))
    extractor.warm_up()
    records = [json.loads(line) for line in questions_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    answered: list[tuple[dict, str, float, float, float]] = []  # record, prediction, score, em, f1
    refused_scores: list[float] = []
    seconds: list[float] = []
    for record in records:
        if record["answers"]:
            group = passages[record["source"]]
        else:
            question = _bigrams(record["question"])
            group = sorted(everything, key=lambda passage: len(question & _bigrams(passage.text)), reverse=True)[:5]
        hits = [Hit(passage, 1.0 - 0.01 * rank) for rank, passage in enumerate(group)]
        began = time.perf_counter()
        answer = extractor.extract(record["question"], hits)
        seconds.append(time.perf_counter() - began)
        prediction, score = (answer.text, answer.score) if answer is not None else ("", 0.0)
        if record["answers"]:
            golds = record["answers"]
            answered.append((record, prediction, score, exact_match(prediction, golds), f1_score(prediction, golds)))
        else:
            refused_scores.append(score)
    em = statistics.mean(item[3] for item in answered)
    f1 = statistics.mean(item[4] for item in answered)
    print(f"== seed questions, reader only (passages of the whole article): n={len(answered)}  EM {em:.3f}  F1 {f1:.3f}")
    by_type: dict[str, list[float]] = defaultdict(list)
    for record, _, _, _, item_f1 in answered:
        by_type[record["type"]].append(item_f1)
    for answer_type, values in sorted(by_type.items(), key=lambda item: -len(item[1])):
        print(f"    {answer_type:<14} n={len(values):3d}  F1 {statistics.mean(values):.3f}")
    print(f"  time per question: mean {statistics.mean(seconds) * 1000:.2f} ms, max {max(seconds) * 1000:.2f} ms")
    print("  threshold  answered-kept  F1-if-refusal-counts-0  unanswerable-refused")
    for threshold in (0.0, 0.2, 0.3, 0.35, 0.4, 0.5, 0.6):
        kept = [item for item in answered if item[2] >= threshold]
        f1_kept = sum(item[4] for item in kept) / len(answered)
        refused = sum(score < threshold for score in refused_scores)
        print(f"  {threshold:9.2f}  {len(kept):4d}/{len(answered)}  {f1_kept:.3f}  {refused:4d}/{len(refused_scores)}")
    for record, prediction, score, _, item_f1 in sorted(answered, key=lambda item: item[4])[:errors]:
        print(f"  [{record['id']}] {record['question']}  gold: {record['answers'][0]}  got: {prediction} ({score:.2f})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="CMRC 2018 SQuAD-style JSON")
    parser.add_argument("--setting", choices=(*SETTINGS, "both"), default="both")
    parser.add_argument("--split", choices=("even", "odd", "all"), default="all", help="questions to run")
    parser.add_argument("--errors", type=int, default=0, help="print this many worst answers")
    parser.add_argument("--dump", type=Path, help="write every prediction as JSON lines here")
    parser.add_argument("--seed", action="store_true", help="run the project's seed questions instead")
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "seed_questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    args = parser.parse_args(argv)
    if args.seed:
        seed_report(args.questions, args.corpus, args.errors)
        return

    config = Config(answer_passages=10)  # setting "all" must see the whole context
    extractor = AnswerExtractor(config)
    extractor.warm_up()
    examples = load_examples(args.data)
    if args.split != "all":
        parity = 0 if args.split == "even" else 1
        examples = [example for example in examples if example.index % 2 == parity]
    for setting in SETTINGS if args.setting == "both" else (args.setting,):
        outcomes = run(examples, setting, extractor, config)
        report(setting, outcomes)
        worst = sorted(outcomes, key=lambda outcome: outcome.f1)[: args.errors]
        for outcome in worst:
            print(f"  [{outcome.example.index}] {outcome.answer_type} {outcome.example.question}")
            print(f"      gold: {outcome.example.golds[0]}")
            print(f"      got:  {outcome.prediction} (score {outcome.score:.2f}, F1 {outcome.f1:.2f})")
        if args.dump is not None:
            with args.dump.open("w", encoding="utf-8") as handle:
                for outcome in outcomes:
                    record = {
                        "index": outcome.example.index,
                        "setting": setting,
                        "type": outcome.answer_type,
                        "question": outcome.example.question,
                        "gold": outcome.example.golds[0],
                        "prediction": outcome.prediction,
                        "score": outcome.score,
                        "f1": round(outcome.f1, 4),
                    }
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

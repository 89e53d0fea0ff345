"""Tests for rag.app.feedback: the append-only JSONL store of thumbs up/down."""
from __future__ import annotations

import json
import threading

import pytest

from rag.app.feedback import FeedbackStore

ANSWER = {"text": "“十五五”末期", "sentence": "预计“十五五”末期建成通车。", "passage_id": "d1#p002"}
PASSAGES = [{"rank": 1, "citation": "[1] 标题 · 吉林日报 · 第2段", "text": "预计“十五五”末期建成通车。"}]


def _lines(store: FeedbackStore) -> list[dict]:
    return [json.loads(line) for line in store.path.read_text(encoding="utf-8").splitlines()]


def test_a_vote_is_appended_with_question_answer_passages_and_time(tmp_path):
    store = FeedbackStore(tmp_path / "feedback" / "feedback.jsonl")  # folder made on first vote
    store.add(vote="up", question="它什么时候通车？", asked="长辽四通高铁什么时候通车？", answer=ANSWER, passages=PASSAGES)
    store.add(vote="down", question="辽源有几个机场？", answer=None, passages=[])
    first, second = _lines(store)
    assert first["vote"] == "up" and first["question"] == "它什么时候通车？"
    assert first["asked"] == "长辽四通高铁什么时候通车？"
    assert first["answer"] == ANSWER and first["passages"] == PASSAGES
    assert first["time"].endswith("+00:00")
    assert second["vote"] == "down" and second["answer"] is None
    assert second["asked"] == "辽源有几个机场？"
    assert "十五五" in store.path.read_text(encoding="utf-8")  # Chinese stays readable


def test_earlier_votes_are_never_rewritten(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.jsonl")
    store.add(vote="up", question="甲", answer=None, passages=[])
    before = store.path.read_bytes()
    FeedbackStore(store.path).add(vote="down", question="乙", answer=None, passages=[])
    assert store.path.read_bytes().startswith(before)


def test_concurrent_votes_give_one_whole_line_each(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.jsonl")
    long_passages = [{"text": "长" * 5000}]

    def vote(number: int) -> None:
        for _ in range(20):
            store.add(vote="up", question=f"问题{number}", answer=None, passages=long_passages)

    threads = [threading.Thread(target=vote, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = _lines(store)
    assert len(records) == 160
    assert {record["question"] for record in records} == {f"问题{number}" for number in range(8)}


def test_an_unknown_vote_is_refused(tmp_path):
    store = FeedbackStore(tmp_path / "feedback.jsonl")
    with pytest.raises(ValueError, match="vote must be one of"):
        store.add(vote="maybe", question="甲", answer=None, passages=[])
    assert not store.path.exists()

"""One change to a corpus at a time: a second holder waits for the first."""
from __future__ import annotations

import threading
import time

from rag.corpus.lock import LOCK_NAME, corpus_lock
from rag.corpus.loading import corpus_fingerprint


def test_a_second_change_waits_for_the_first_and_is_told_so(tmp_path):
    (tmp_path / "a.txt").write_text("辽源推进普铁外迁工程。\n", encoding="utf-8")
    before = corpus_fingerprint(tmp_path)
    order, messages = [], []

    def second():
        with corpus_lock(tmp_path, messages.append):
            order.append("second")

    with corpus_lock(tmp_path):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        order.append("first")
    thread.join(timeout=10)

    assert order == ["first", "second"]
    assert len(messages) == 1 and "waiting" in messages[0]
    assert (tmp_path / LOCK_NAME).is_file() and corpus_fingerprint(tmp_path) == before  # not part of the corpus


def test_a_corpus_that_does_not_exist_is_not_locked(tmp_path):
    with corpus_lock(tmp_path / "missing"):
        pass
    assert not (tmp_path / "missing").exists()

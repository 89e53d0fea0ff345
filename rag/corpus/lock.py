"""One change to a corpus and its index at a time: ``with corpus_lock(corpus): …``.

Two changes at once (two ``rag add``, or one while the app rebuilds) would each index the
corpus as they found it, and the one that finished last would record a corpus fingerprint
that includes the other's article without indexing it: that article would stay unsearchable
with an index that says it is current. ``rag add`` / ``rag delete`` / ``rag build`` and the
app's (re)builds therefore hold an exclusive ``flock`` on a hidden file beside the corpus
(``.rag.lock`` in a corpus folder; ``.<name>.lock`` beside a JSONL file; the loader skips hidden
files) from reading the corpus to writing the index. The lock is released when the process
ends, however it ends.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_NAME = ".rag.lock"


def lock_path(corpus: Path) -> Path:
    """The lock file of ``corpus`` (a folder, or a JSONL file)."""
    corpus = Path(corpus)
    return corpus / LOCK_NAME if corpus.is_dir() else corpus.parent / f".{corpus.name}.lock"


@contextlib.contextmanager
def corpus_lock(corpus: Path, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold ``corpus``'s lock for the block, waiting for another holder to finish first
    (``waiting`` is told so, once, with a message). A corpus that does not exist is not locked:
    reading it fails with its own message."""
    path = lock_path(corpus)
    if not path.parent.is_dir():
        yield
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            message = f"Another change to {corpus} is running (an add, a delete or a build); waiting for it to finish."
            (waiting or log.info)(message)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock

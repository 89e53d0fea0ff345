"""Thumbs up/down on answers, kept for staff review: ``FeedbackStore(path).add(...)``.

One JSON object per line, appended and fsync'd, so a crash loses at most the vote being
written and never corrupts earlier ones; a lock keeps lines from interleaving when several
users vote at once.
"""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

VOTES = ("up", "down")


class FeedbackStore:
    """Append-only JSONL file of votes; the folder is created on the first vote."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def add(
        self,
        *,
        vote: str,
        question: str,
        answer: Mapping[str, Any] | None,
        passages: Sequence[Mapping[str, Any]],
        asked: str | None = None,
    ) -> dict[str, Any]:
        """Store one vote and return the stored record.

        Args:
            vote: ``"up"`` or ``"down"``.
            question: the question as the user typed it.
            answer: the answer shown (``rag.pipeline.serialize.answer_record``), or None when there was none.
            passages: the passages shown (``rag.pipeline.serialize.cited_hit_record`` rows).
            asked: the question actually answered when a follow-up was rewritten.

        Raises:
            ValueError: ``vote`` is not ``"up"`` or ``"down"``.
        """
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {VOTES}, got {vote!r}")
        record = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "vote": vote,
            "question": question,
            "asked": asked if asked is not None else question,
            "answer": dict(answer) if answer is not None else None,
            "passages": [dict(passage) for passage in passages],
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                written = 0
                while written < len(line):
                    written += os.write(descriptor, line[written:])
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        return record

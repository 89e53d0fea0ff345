"""Exceptions the library raises; each message says what went wrong and what to do."""
from __future__ import annotations


class RagError(Exception):
    """Base class: every error the library raises on purpose."""


class CorpusError(RagError):
    """The corpus cannot be read (missing folder, bad file, bad JSONL line…)."""


class IndexLoadError(RagError):
    """The index directory is missing, damaged or built for something else; rebuild it."""


class MilvusUnavailableError(IndexLoadError):
    """The Milvus named by ``milvus_uri`` cannot be reached (or pymilvus is not installed)."""


class StaleIndexError(IndexLoadError):
    """The corpus changed after the index was built."""


class QuestionError(RagError):
    """The question cannot be asked as given (empty, only symbols…)."""


class EmbedderError(RagError):
    """The embedding model cannot be loaded (no such local folder, not cached, hub unreachable…)."""


class ReaderError(RagError):
    """The trained reader's weights are missing, damaged or do not match their model card."""

"""The question-answering pipeline over the stages: ``Pipeline.load(index_dir)``, then ``ask`` /
``search``; the long-running service, citations and JSON records built on it."""
from rag.pipeline.answering import Pipeline

__all__ = ["Pipeline"]

"""Retrieval stage: dense, BM25 or hybrid passage search (``retriever.Retriever``) and the fusion of
ranked lists."""

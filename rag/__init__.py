"""Chinese extractive question answering over news articles.

Entry point: ``rag.pipeline.Pipeline`` (``Pipeline.load(index_dir)``, then ``ask`` / ``search``).
Importing ``rag`` is cheap: models, FAISS and jieba load lazily.
"""

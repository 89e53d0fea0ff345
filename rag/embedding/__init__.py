"""Embedding stage: sentence embedders behind one protocol (``embedders.load_embedder``) and the
bundled multilingual-e5-small (its weights, tokenizer and onnxruntime graph)."""

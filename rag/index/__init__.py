"""Index stage: build (``build.build_index``) and store (``store.save_index`` / ``load_index``) the
dense FAISS and BM25 indexes of a corpus."""

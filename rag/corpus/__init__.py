"""Corpus stage: raw newspaper articles → cleaned documents (``loading.load_corpus``) → retrieval
passages (``passages.build_passages``)."""

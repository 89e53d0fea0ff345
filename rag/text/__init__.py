"""Text tools every stage shares: normalisation for matching, sentence splitting with offsets,
jieba word tokens for BM25."""

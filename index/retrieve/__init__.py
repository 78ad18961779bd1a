"""Retrieval: the embedding model, FAISS vectors, BM25, and the pure ranking that blends them."""

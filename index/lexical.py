"""BM25 over passages (bm25s), saved beside the FAISS index of each generation.

Passages are tokenised with English stopwords and the Snowball stemmer; each document is
the article title plus the passage, mirroring the dense embedding input.
"""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from .errors import IndexCorruptError

_STEMMER = Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(
        texts, stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False
    )


class Lexical:
    """A BM25 index whose rows are the passage ids in `ids` (int64, ascending)."""

    def __init__(self, retriever: bm25s.BM25, ids: np.ndarray):
        self.retriever = retriever
        self.ids = ids

    @classmethod
    def build(cls, ids: np.ndarray, texts: list[str]) -> Lexical:
        retriever = bm25s.BM25()
        if texts:
            retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, ids)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if len(self.ids):
            self.retriever.save(str(directory), show_progress=False)
        np.save(directory / "ids.npy", self.ids)

    @classmethod
    def load(cls, directory: Path) -> Lexical:
        try:
            ids = np.load(directory / "ids.npy")
            if not len(ids):
                return cls(bm25s.BM25(), ids)
            retriever = bm25s.BM25.load(str(directory), mmap=False, show_progress=False)
        except (OSError, ValueError, json.JSONDecodeError) as exc:
            raise IndexCorruptError(f"lexical index {directory} is unreadable: {exc}") from None
        return cls(retriever, ids)

    def search(
        self, query: str, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(passage ids, BM25 scores) of the top `k` passages with a positive score."""
        if not len(self.ids):
            return np.empty(0, np.int64), np.empty(0, np.float32)
        tokens = [t for t in tokenize([query])[0] if t in self.retriever.vocab_dict]
        if not tokens:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        scores = self.retriever.get_scores(tokens)
        if allowed is not None:
            scores = np.where(np.isin(self.ids, allowed), scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return self.ids[top], scores[top].astype(np.float32)

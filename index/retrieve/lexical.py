"""BM25 over passages (bm25s), saved beside the FAISS index of each generation.

Passages are tokenised with English stopwords and the Snowball stemmer; each document is
the article title plus the passage, mirroring the dense embedding input.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from ..errors import IndexCorruptError
from .ranking import Ranked

# bm25s sets its own logger to DEBUG when imported, which would print on every build.
logging.getLogger("bm25s").setLevel(logging.WARNING)

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

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every passage for the (in-vocabulary) query tokens.

        bm25s keeps each token's precomputed per-document scores as a CSC column; it sums
        them with np.add.at, which allows repeated indices. A token's column lists each
        document once, so a plain indexed add is exact and about 2x faster at 1M passages.
        """
        r = self.retriever
        if r.nonoccurrence_array is not None:  # BM25L / BM25+: let bm25s add that term
            return r.get_scores(tokens)
        data, indices, indptr = r.scores["data"], r.scores["indices"], r.scores["indptr"]
        out = np.zeros(r.scores["num_docs"], dtype=data.dtype)
        for t in r.get_tokens_ids(tokens):
            lo, hi = indptr[t], indptr[t + 1]
            out[indices[lo:hi]] += data[lo:hi]
        return out

    def term_coverage(self, terms: Collection[str], passage_ids: np.ndarray) -> np.ndarray:
        """Per passage, the share of the query's distinct `terms` (as `term_idf` gives
        them) it contains; a term the index has never seen counts as missing everywhere.

        Read off the index's own term columns, so it tokenises as the search does and
        costs one membership test per query term instead of tokenising every passage."""
        out = np.zeros(len(passage_ids))
        terms = set(terms)
        if not terms or not len(self.ids) or not len(passage_ids):
            return out
        rows = np.searchsorted(self.ids, passage_ids)
        rows[rows >= len(self.ids)] = 0
        known = self.ids[rows] == passage_ids
        r = self.retriever
        indices, indptr = r.scores["indices"], r.scores["indptr"]
        holds = np.zeros(len(self.ids), dtype=bool)  # reused: set a term's rows, read, clear
        for t in r.get_tokens_ids([t for t in terms if t in r.vocab_dict]):
            col = indices[indptr[t] : indptr[t + 1]]
            holds[col] = True
            out += holds[rows]
            holds[col] = False
        return np.where(known, out / len(terms), 0.0)

    def unseen(self, words: list[str]) -> list[str]:
        """The words no passage (title included) holds, as the search tokenises them; a
        stopword (tokenised to nothing) is never unseen."""
        vocab = self.retriever.vocab_dict if len(self.ids) else {}
        tokens = tokenize(words) if words else []
        return [
            w for w, ts in zip(words, tokens, strict=True) if ts and not any(t in vocab for t in ts)
        ]

    def term_idf(self, query: str) -> dict[str, float]:
        """The query's distinct terms (as the search tokenises them) with their IDF here,
        log((N + 1) / (df + 0.5)): a term no passage holds gets the highest."""
        terms = dict.fromkeys(tokenize([query])[0])
        r, n = self.retriever, len(self.ids)
        indptr = r.scores["indptr"] if n else None
        out = {}
        for t in terms:
            col = r.vocab_dict.get(t) if n else None
            df = 0 if col is None else int(indptr[col + 1] - indptr[col])
            out[t] = float(np.log((n + 1) / (df + 0.5)))
        return out

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> Ranked:
        """(passage ids, BM25 scores) of the top `k` passages with a positive score."""
        none = Ranked(np.empty(0, np.int64), np.empty(0, np.float32))
        if not len(self.ids):
            return none
        tokens = [t for t in tokenize([query])[0] if t in self.retriever.vocab_dict]
        if not tokens:
            return none
        scores = self.scores(tokens)
        if allowed is not None:
            scores = np.where(np.isin(self.ids, allowed), scores, 0.0)
        top = top_k(scores, min(k, len(scores)))
        top = top[scores[top] > 0]
        return Ranked(self.ids[top], scores[top].astype(np.float32))


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` largest scores, best first (equal scores: lower index first).

    On large arrays a threshold taken from a 1/16 sample keeps only a few times `k`
    candidates for the exact partition; when fewer than `k` pass it (rare), the whole
    array is partitioned. Exact either way: every score above the k-th passes.
    """
    if k <= 0:
        return np.empty(0, np.int64)
    if len(scores) > 64 * k:
        sample = scores[::16]
        j = len(sample) - max(k // 8, 1)  # about 2k candidates expected
        t = np.partition(sample, j)[j]
        if t > 0:
            cand = np.flatnonzero(scores >= t)
            if len(cand) >= k:
                return _best_first(scores, cand[np.argpartition(-scores[cand], k - 1)[:k]])
    return _best_first(scores, np.argpartition(-scores, k - 1)[:k])


def _best_first(scores: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return idx[np.lexsort((idx, -scores[idx]))]

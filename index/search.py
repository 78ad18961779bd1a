"""Ranking logic on arrays: fusion, relevance, answer sentence, syndication collapse.

Pure functions, no I/O: the engine fetches candidates and rows, these decide the order,
the quote and what counts as covered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

RRF_K = 60


def rrf(
    rankings: list[np.ndarray], weights: list[float] | None = None, k: int = RRF_K
) -> dict[int, float]:
    """Reciprocal rank fusion of ranked id arrays: id -> sum of w / (k + rank)."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for ids, w in zip(rankings, weights, strict=True):
        for rank, pid in enumerate(ids.tolist()):
            fused[pid] = fused.get(pid, 0.0) + w / (k + rank + 1)
    return fused


def order_candidates(
    mode: str, dense: tuple[np.ndarray, np.ndarray], lexical: tuple[np.ndarray, np.ndarray]
) -> list[int]:
    """Candidate passage ids, best first, for `mode` (dense | bm25 | hybrid)."""
    d_ids = dense[0][dense[0] >= 0]
    l_ids = lexical[0]
    if mode == "dense":
        return d_ids.tolist()
    if mode == "bm25":
        return l_ids.tolist()
    fused = rrf([d_ids, l_ids])
    return sorted(fused, key=lambda pid: -fused[pid])


_WORD = re.compile(r"\w+")


def best_sentence(
    query_vec: np.ndarray, sentence_vecs: np.ndarray, spans: list[tuple[int, int]]
) -> tuple[int, int]:
    """The (start, end) span of the sentence most similar to the query.

    `sentence_vecs` (n, dim) float32 normalised, one row per span.
    """
    if not spans:
        return (0, 0)
    sims = sentence_vecs[: len(spans)] @ query_vec
    return spans[int(np.argmax(sims))]


@dataclass(slots=True)
class Candidate:
    passage_id: int
    article_id: int
    vector: np.ndarray
    relevance: float  # calibrated: cosine of query and passage


def collapse(
    cands: list[Candidate], threshold: float, k: int
) -> list[tuple[Candidate, list[Candidate]]]:
    """Keep the first `k` distinct candidates; near-copies from other articles join a kept one.

    Two passages whose vectors have cosine >= `threshold` are the same text republished
    (syndication): the copy is reported as another source of the kept hit.
    """
    kept: list[tuple[Candidate, list[Candidate]]] = []
    for cand in cands:
        home = next(
            (
                group
                for group in kept
                if float(group[0].vector @ cand.vector) >= threshold
                and cand.article_id != group[0].article_id
            ),
            None,
        )
        if home is not None:
            if all(c.article_id != cand.article_id for c in home[1]):
                home[1].append(cand)
        elif len(kept) < k:
            kept.append((cand, []))
    return kept

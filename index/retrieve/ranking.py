"""Ranking logic on arrays: fusion, relevance, syndication collapse (the quote: answering.py).

Pure functions, no I/O: the engine fetches candidates and rows, these decide the order,
the quote and what counts as covered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


class Ranked(NamedTuple):
    """What both searches return, best first: passage ids and their scores (same shape)."""

    ids: np.ndarray  # int64
    scores: np.ndarray  # float32


def lead_bonus(order: int, weight: float) -> float:
    """News is written lead first (inverted pyramid): early passages get a small prior."""
    return weight * 0.5**order


def relevance(passage_cos: float, sentence_cos: float, sentence_weight: float) -> float:
    """Calibrated relevance: cosine of the passage blended with that of its best sentence."""
    return (1 - sentence_weight) * passage_cos + sentence_weight * sentence_cos


def order_candidates(
    mode: str,
    dense: dict[int, float],
    lexical: dict[int, float],
    bm25_weight: float,
) -> list[int]:
    """Candidate passage ids, best first, for `mode` (dense | bm25 | hybrid).

    `dense` maps every candidate to its dense ranking score, `lexical` the BM25 matches to
    their BM25 score. Hybrid is a convex-style blend: dense + w * BM25 / max BM25, which
    keeps the dense score's scale (so one threshold serves every mode) and measured better
    than reciprocal rank fusion on the development set. (The default hybrid ranking is
    the learned fusion, `fusion.py`; this blend is `search.fusion = "blend"`.)
    """
    if mode == "bm25":
        return sorted(lexical, key=lambda pid: -lexical[pid])
    top = max(lexical.values(), default=0.0) or 1.0
    norm = {pid: s / top for pid, s in lexical.items()}
    score = {
        pid: d + (bm25_weight * norm.get(pid, 0.0) if mode == "hybrid" else 0.0)
        for pid, d in dense.items()
    }
    return sorted(score, key=lambda pid: -score[pid])


def unshown_part(
    spans: list[tuple[int, int]], offset: int, length: int, shown: set[tuple[int, int]]
) -> tuple[int, int, list[int]] | None:
    """What of a passage is left to quote once the `shown` sentences are taken out.

    `spans` are the passage's sentences relative to its text (of `length` characters),
    `offset` the passage's start in the article, `shown` the article spans already
    quoted. Consecutive passages share a sentence at their edge, so what is left is one
    run: (start, end, indices of its sentences); the whole passage when nothing of it
    was shown, None when all of it was.
    """
    keep = [i for i, (a, b) in enumerate(spans) if (offset + a, offset + b) not in shown]
    if len(keep) == len(spans):
        return 0, length, keep
    if not keep:
        return None
    return spans[keep[0]][0], spans[keep[-1]][1], keep


@dataclass(slots=True)
class Candidate:
    passage_id: int
    article_id: int
    vector: np.ndarray
    relevance: float  # calibrated: the blend of passage and best-sentence cosines


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

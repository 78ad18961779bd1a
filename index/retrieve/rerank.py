"""Optional second stage: a sentence-transformers CrossEncoder reorders the top candidates.

Off unless `model.reranker` names a model (none ships offline). The cross-encoder only
reorders; whether the coverage answers at all stays with the calibrated relevance.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from .model import quiet_offline_hub

log = logging.getLogger(__name__)


class Reranker:
    def __init__(self, name: str, device: str = "cpu"):
        quiet_offline_hub()
        from sentence_transformers import CrossEncoder

        self.name = name
        self.model = CrossEncoder(name, device=device)
        log.info("reranker %s on %s", name, device)

    def scores(self, question: str, passages: Sequence[str]) -> np.ndarray:
        """One score per passage, (n,) float32; higher is more relevant."""
        if not passages:
            return np.empty(0, np.float32)
        pairs = [(question, p) for p in passages]
        return np.asarray(
            self.model.predict(pairs, show_progress_bar=False), dtype=np.float32
        ).reshape(-1)


def rerank(order: list[int], scores: np.ndarray) -> list[int]:
    """`order` (the first len(scores) of it) sorted by `scores`, stable; the tail kept."""
    head = [order[i] for i in np.argsort(-scores, kind="stable")]
    return head + order[len(scores) :]

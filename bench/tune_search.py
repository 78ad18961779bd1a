"""Sweep query-time search settings on an index built by `newsdesk eval`, without rebuilding.

    python bench/tune_search.py DATA_DIR QA.jsonl [QA.jsonl ...]

DATA_DIR is the eval index (`<data_dir>/eval/<tag>`). Prints recall@1/5 and MRR@10 for
each (mode, bm25_weight, lead_bonus, sentence_weight), then the refusal trade-off of
`min_score` for the default settings: the threshold is chosen where refused unanswerable
questions and answered answerable ones balance best.
"""

import itertools
import sys
from pathlib import Path

import numpy as np

from index.config import Config
from index.engine import Engine
from index.evaluation import first_answer_rank, load_qa


def main() -> None:
    data, qa_paths = sys.argv[1], sys.argv[2:]
    items = [q for p in qa_paths for q in load_qa(Path(p))]
    answerable = [q for q in items if not q.no_answer]
    config = Config(data_dir=data)
    engine = Engine(config)
    engine.reload()
    qvecs = {}  # the question embedding is the same for every setting: cache it
    embed = engine.embedder.encode_queries
    engine.embedder.encode_queries = lambda texts: qvecs.setdefault(texts[0], embed(texts))
    sc = config.search
    rows = []
    grid = itertools.product(
        ["dense", "hybrid"], [0.1, 0.15, 0.25, 0.4], [0.0, 0.02, 0.04], [0.0, 0.5]
    )
    for mode, bw, lead, sw in grid:
        if mode == "dense" and bw != 0.1:
            continue
        sc.bm25_weight, sc.lead_bonus, sc.sentence_weight = bw, lead, sw
        ranks = [
            first_answer_rank(
                [h.text for h in engine.retrieve(q.question, mode=mode, k=10).hits], q.answers
            )
            for q in answerable
        ]
        r1 = np.mean([r is not None and r <= 1 for r in ranks])
        r5 = np.mean([r is not None and r <= 5 for r in ranks])
        mrr = np.mean([1 / r if r else 0 for r in ranks])
        rows.append((mode, bw, lead, sw, r1, r5, mrr))
        print(
            f"{mode:6} bm25_w={bw:<5} lead={lead:<5} sent_w={sw:<4} R@1={r1:.3f} R@5={r5:.3f} MRR={mrr:.3f}",
            flush=True,
        )
    base = Config().search
    sc.bm25_weight, sc.lead_bonus, sc.sentence_weight = (
        base.bm25_weight,
        base.lead_bonus,
        base.sentence_weight,
    )
    top = {id(q): engine.retrieve(q.question, k=1).hits[0].score for q in items}
    print("\nmin_score  refused(unanswerable)  refused(answerable)")
    for t in np.arange(0.2, 0.55, 0.025):
        ok = np.mean([top[id(q)] < t for q in items if q.no_answer])
        wrong = np.mean([top[id(q)] < t for q in answerable])
        print(f"{t:.3f}      {ok:.3f}                  {wrong:.3f}")


if __name__ == "__main__":
    main()

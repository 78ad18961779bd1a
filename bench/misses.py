"""Where the default ranking misses: each answerable question's first answering place.

    python bench/misses.py DATA_DIR QA.jsonl [--k 3] [--json OUT] [--show CATEGORY]

DATA_DIR is an index of the dev corpus, as `newsdesk eval` builds it. Every answerable
question is asked "as of" its quiz date with the engine's real retrieval (hybrid, the
shipped weights) and a miss at k is put in the first category that holds:

- `other_passage`: an article among the top k holds the answer in a passage not shown;
- `ranks_k+1-10`: an answering passage is ranked below k but within the top 10;
- `in_pool`: an answering passage is among the search's candidates, deeper;
- `in_corpus_only`: some passage holds the answer string, no candidate does;
- `nowhere`: no passage of the index holds it.

An answer string is matched as `newsdesk eval` matches it (case-insensitive substring),
so `in_corpus_only` is mostly chance: "Australia" in a concert listing for a question on
a rocket launch. `--show` prints the questions of one category with their top passages,
to read which misses are real.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import store  # noqa: E402
from index.config import Config  # noqa: E402
from index.engine import Engine  # noqa: E402
from index.evaluation import load_qa  # noqa: E402

CATEGORIES = ("answered", "other_passage", "ranks_k+1-10", "in_pool", "in_corpus_only", "nowhere")


def holds(text: str, answers: list[str]) -> bool:
    text = text.lower()
    return any(a in text for a in answers)


def category(engine: Engine, qa, k: int, corpus: dict[int, list[str]]) -> tuple[str, list]:
    answers = [a.lower() for a in qa.answers]
    hits = engine.retrieve(qa.question, k=10, as_of=qa.as_of).hits
    ranks = [i for i, h in enumerate(hits) if holds(h.text, answers)]
    if ranks and ranks[0] < k:
        return "answered", hits
    if any(holds(t, answers) for h in hits[:k] for t in corpus[h.citation.article_id]):
        return "other_passage", hits
    if ranks:
        return "ranks_k+1-10", hits
    pool = engine.candidates(qa.question, as_of=qa.as_of)
    if any(holds(pool.rows[p].text, answers) for p in pool.ids):
        return "in_pool", hits
    if any(holds(t, answers) for texts in corpus.values() for t in texts):
        return "in_corpus_only", hits
    return "nowhere", hits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("qa", type=Path)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--show", choices=CATEGORIES)
    args = ap.parse_args()
    engine = Engine(Config(data_dir=str(args.data_dir)))
    conn = store.connect(engine.data_dir, readonly=True)
    corpus: dict[int, list[str]] = {}
    for article_id, text in store.live_passage_texts(conn, store.current_generation(conn)):
        corpus.setdefault(article_id, []).append(text)
    items = [q for q in load_qa(args.qa) if not q.no_answer]
    counts: Counter = Counter()
    rows = []
    for qa in items:
        cat, hits = category(engine, qa, args.k, corpus)
        counts[cat] += 1
        rows.append({"question": qa.question, "answers": qa.answers, "category": cat})
        if cat == args.show:
            print(f"\n{qa.question}\n  answers: {qa.answers}")
            for h in hits[: args.k]:
                print(f"  - {h.citation.title[:70]!r}: {h.text[:120]!r}")
    n = len(items)
    print(f"{n} answerable questions, misses at k={args.k} by where the answer is:")
    for cat in CATEGORIES:
        print(f"  {cat:15} {counts[cat]:4d}  {counts[cat] / n:.3f}")
    if args.json:
        report = {"k": args.k, "questions": n, "counts": {c: counts[c] for c in CATEGORIES}}
        args.json.write_text(json.dumps(report | {"rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()

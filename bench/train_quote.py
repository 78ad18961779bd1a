"""Fit which sentence a reply marks as the answer (index/data/quote.json), by month fold.

    python bench/train_quote.py DATA_DIR QA.jsonl [--write] [--json OUT]

DATA_DIR is an index of the dev corpus, as `newsdesk eval` builds it. For every answerable
question the engine's real reply is taken (its top 3 passages, as shown); each quoted
passage that holds an answer string is one training example: its sentences (those the
reply shows), their features (`index/retrieve/answering.py`) and which of them hold the
answer. A linear scorer is fitted with a softmax over each passage's sentences (the mass
on the answering ones) and L2, on one month, and read on the other: the share of answering
passages whose marked sentence holds the answer, against the cosine alone (the quote
before). L2 is chosen by the summed held-out share; `--write` fits it on both months.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from train_fusion import listwise_loss, write_shipped  # noqa: E402

from index.config import Config  # noqa: E402
from index.engine import Engine  # noqa: E402
from index.evaluation import load_qa  # noqa: E402
from index.retrieve.answering import (  # noqa: E402
    QUOTE_FEATURES,
    QuoteScorer,
    asked,
    sentence_features,
)

L2 = (0.003, 0.001, 0.0001, 0.0)  # the first of equals wins: the most regularised


def examples(engine: Engine, items) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """(sentence features, holds-the-answer mask, month) per answering quoted passage."""
    out = []
    for qa in items:
        answers = [a.lower() for a in qa.answers]
        pool = engine.candidates(qa.question, as_of=qa.as_of, featured=False)
        q = asked(qa.question, pool.terms)
        for hit in engine.retrieve(qa.question, as_of=qa.as_of).hits[:3]:
            row = pool.rows.get(hit.passage_id)
            if row is None or not any(a in hit.text.lower() for a in answers):
                continue
            lo = row.text.find(hit.text)
            keep = [
                i for i, (a, b) in enumerate(row.sentences) if a >= lo and b <= lo + len(hit.text)
            ]
            spans = [row.sentences[i] for i in keep]
            texts = [row.text[a:b] for a, b in spans]
            y = np.array([any(a in t.lower() for a in answers) for t in texts])
            if y.any():
                sims = pool.sentence_sims[hit.passage_id][keep]
                month = qa.as_of.strftime("%Y-%m") if qa.as_of else ""
                out.append((sentence_features(sims, texts, q), y, month))
    return out


def fit(data, l2) -> np.ndarray:
    w0 = np.zeros(len(QUOTE_FEATURES))
    w0[0] = 10.0  # the cosine alone, scaled: sentence cosines differ by hundredths
    pairs = [(x, y) for x, y, _ in data]
    return minimize(listwise_loss, w0, args=(pairs, l2), jac=True, method="L-BFGS-B").x


def hit_rate(data, w) -> float:
    """Share of passages whose highest-scoring sentence holds the answer."""
    return float(np.mean([y[int(np.argmax(x @ w))] for x, y, _ in data])) if data else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("qa", type=Path)
    ap.add_argument("--write", action="store_true", help="write index/data/quote.json")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    engine = Engine(Config(data_dir=str(args.data_dir)))
    items = [q for q in load_qa(args.qa) if not q.no_answer]
    data = examples(engine, items)
    months = sorted({m for *_, m in data})
    cosine = np.eye(len(QUOTE_FEATURES))[0]
    report: dict = {"features": list(QUOTE_FEATURES), "passages": len(data), "held_out": {}}
    print(f"{len(data)} answering quoted passages; months {months}")
    for l2 in L2:
        row = {}
        for test in months:
            train = [d for d in data if d[2] != test]
            held = [d for d in data if d[2] == test]
            row[test] = {
                "cosine": round(hit_rate(held, cosine), 4),
                "fitted": round(hit_rate(held, fit(train, l2)), 4) if train else None,
                "passages": len(held),
            }
        report["held_out"][str(l2)] = row
        print(
            f"l2={l2}: " + ", ".join(f"{m} {r['cosine']} -> {r['fitted']}" for m, r in row.items())
        )

    def merit(l2):
        return sum(r["fitted"] or 0.0 for r in report["held_out"][str(l2)].values())

    best = max(L2, key=merit)
    report["chosen_l2"] = best
    w = fit(data, best)
    report["in_sample"] = {"cosine": hit_rate(data, cosine), "fitted": hit_rate(data, w)}
    print(f"chosen l2={best}; in-sample {report['in_sample']}")
    if args.write:
        provenance = {
            "fitted_by": "bench/train_quote.py",
            "questions": args.qa.name,
            "answering_quoted_passages": len(data),
            "l2": best,
        }
        path = write_shipped("quote.json", QuoteScorer(w).to_dict(), provenance)
        report["shipped"] = json.loads(path.read_text())
        print(f"wrote {path}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""Fit the learned fusion's weights (index/data/fusion.json) on the development set, by fold.

    python bench/train_fusion.py DATA_DIR QA.jsonl UNANSWERABLE.jsonl [--write] [--json OUT]
        [--extra EXTRA_DIR EXTRA_QA.jsonl]

DATA_DIR is an index of the dev corpus, as `newsdesk eval` builds it (DATA_DIR/eval/<tag>
or any data dir holding it). The questions carry the day they were asked: July is fold A,
August fold B. For every question the engine's own candidates and features are taken
(`Engine.candidates`, the exact matrix the search ranks by), labelled by whether the
passage holds an answer string, and a linear scorer is fitted with a listwise softmax loss
(the probability mass on the answering passages) and L2 regularisation. Reported, per
direction, is the engine's real retrieval (collapse, overlap trimming and all) on the
*other* month with the weights fitted on one: the held-out figures. `--write` then fits
on both months and writes the shipped weights with their provenance.

With `--extra`, the questions of EXTRA_QA that are not dev questions (the other months of
2022, `../shared/corpora/realtimeqa-2022/qa.jsonl`) are labelled on EXTRA_DIR, an index of
their corpus, and join every fit: fit on them and one month, read the other; and, the
purest held-out figure, fit on them alone and read both months.

No quiz question is ever ranked with weights fitted on it in the held-out figures; the
shipped weights saw every training question, and the unseen weeks are measured after.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.config import Config  # noqa: E402
from index.engine import Engine  # noqa: E402
from index.evaluation import evaluate, load_qa  # noqa: E402
from index.retrieve.fusion import FEATURES, Fusion  # noqa: E402

L2 = (0.01, 0.03, 0.1, 0.3)
# candidates for the regularisation, chosen by held-out merit


def fold_of(qa) -> str:
    return "A" if qa.as_of and qa.as_of.month == 7 else "B"


def listwise_loss(w, data, l2):
    """Mean over questions of -log(softmax mass on the answering candidates), + l2 |w|^2."""
    total, grad = 0.0, np.zeros_like(w)
    for x, y in data:
        s = x @ w
        e = np.exp(s - s.max())
        z, p = e.sum(), e[y].sum()
        total -= np.log(p / z)
        grad += (x.T @ e) / z - (x[y].T @ e[y]) / p
    n = max(len(data), 1)
    return total / n + l2 * w @ w, grad / n + 2 * l2 * w


def write_shipped(name: str, weights: dict, provenance: dict) -> Path:
    """Write index/data/NAME: the weights, and how they were fitted (with the git head)."""
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    shipped = weights | {"provenance": provenance | {"git_head": head}}
    path = ROOT / "index" / "data" / name
    path.write_text(json.dumps(shipped, indent=1) + "\n", encoding="utf-8")
    return path


def fit(data, l2) -> np.ndarray:
    w0 = np.zeros(len(FEATURES))
    w0[FEATURES.index("sentence_cos")] = 1.0
    res = minimize(listwise_loss, w0, args=(data, l2), jac=True, method="L-BFGS-B")
    return res.x


def labelled(engine, items):
    """Per question with an answering candidate: (features, answering mask)."""
    out = []
    for qa in items:
        c = engine.candidates(qa.question, as_of=qa.as_of)
        answers = [a.lower() for a in qa.answers]
        y = np.array([any(a in c.rows[p].text.lower() for a in answers) for p in c.ids])
        if y.any():
            out.append((c.features, y))
    return out


def held_out(engine, items, fusion: Fusion | None) -> dict:
    if fusion is not None:
        engine.fusion = fusion
    r = evaluate(
        lambda q, m, k, d: engine.retrieve(q, mode=m, k=k, as_of=d),
        items, "hybrid", [1, 3, 5, 10],
    )  # fmt: skip
    return r.as_dict()


def summary(r: dict) -> str:
    return (
        f"R@1 {r['recall@1']} R@3 {r['recall@3']} R@5 {r['recall@5']} R@10 {r['recall@10']} "
        f"R@200w {r['recall@200w']} | refused {r['refusal_accuracy']} of unanswerable, "
        f"{r['false_refusal']} of answerable"
    )


def _engine(data_dir: Path) -> tuple[Engine, Config]:
    config = Config()
    config.data_dir = str(data_dir)
    return Engine(config), config


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("qa", type=Path)
    ap.add_argument("unanswerable", type=Path)
    ap.add_argument("--write", action="store_true", help="write index/data/fusion.json")
    ap.add_argument("--json", type=Path, help="save the figures here")
    ap.add_argument(
        "--extra", nargs=2, type=Path, metavar=("EXTRA_DIR", "EXTRA_QA"),
        help="more training questions (not dev ones) and an index of their corpus",
    )  # fmt: skip
    args = ap.parse_args()

    engine, config = _engine(args.data_dir)
    items = [q for q in load_qa(args.qa) if not q.no_answer]
    unans = [q for q in load_qa(args.unanswerable) if q.no_answer]
    folds = {f: [q for q in items if fold_of(q) == f] for f in "AB"}
    # The unanswerable questions come from other weeks: alternate ones make two halves.
    ufolds = {"A": unans[0::2], "B": unans[1::2]}
    data = {f: labelled(engine, qs) for f, qs in folds.items()}
    report: dict = {"features": list(FEATURES), "folds": {f: len(q) for f, q in folds.items()}}
    extra: list = []  # labelled questions of other months, in every fit
    if args.extra:
        asked = {q.question for q in items}
        more = [q for q in load_qa(args.extra[1]) if not q.no_answer and q.question not in asked]
        extra = labelled(_engine(args.extra[0])[0], more)
        report["extra"] = {
            "extra_questions": len(more),
            "extra_with_an_answering_candidate": len(extra),
        }

    # Baseline: the hand-set blend with the min_score rule, on each month.
    config.search.fusion = "blend"
    report["blend"] = {f: held_out(engine, folds[f] + ufolds[f], None) for f in "AB"}
    config.search.fusion = "learned"
    report["learned"] = {}
    for l2 in L2:
        row = {}
        for fit_on, test_on in (("A", "B"), ("B", "A")):
            w = fit(extra + data[fit_on], l2)
            row[f"{fit_on}->{test_on}"] = held_out(
                engine, folds[test_on] + ufolds[test_on], Fusion(w)
            )
        report["learned"][str(l2)] = row
        if extra:  # no dev question in the fit at all: both months held out
            w = fit(extra, l2)
            report.setdefault("extra_only", {})[str(l2)] = {
                f: held_out(engine, folds[f] + ufolds[f], Fusion(w)) for f in "AB"
            }
        print(f"l2={l2}", flush=True)
        for k, v in row.items():
            print(f"  {k}: " + summary(v))
        for k, v in report.get("extra_only", {}).get(str(l2), {}).items():
            print(f"  other months only->{k}: " + summary(v))
    for f in "AB":
        print(f"blend on {f}: " + summary(report["blend"][f]))

    # Choose L2 by the summed held-out R@1 + R@3 + R@200w of both directions.
    # With --extra, the fits on the other months alone count too (both months held out).
    def merit(l2):
        rows = [*report["learned"][str(l2)].values()]
        rows += report.get("extra_only", {}).get(str(l2), {}).values()
        return sum(v["recall@1"] + v["recall@3"] + v["recall@200w"] for v in rows)

    best = max(L2, key=merit)
    report["chosen_l2"] = best
    if args.write:
        w = fit(extra + data["A"] + data["B"], best)
        provenance = {
            "fitted_by": "bench/train_fusion.py",
            "questions": str(args.qa.name),
            "unanswerable": str(args.unanswerable.name),
            "answerable_questions": len(items),
            "with_an_answering_candidate": sum(len(d) for d in data.values()),
            **(
                {"extra_qa": "/".join(args.extra[1].parts[-3:]), **report["extra"]}
                if args.extra
                else {}
            ),
            "l2": best,
        }
        path = write_shipped("fusion.json", Fusion(w).to_dict(), provenance)
        report["shipped"] = json.loads(path.read_text())
        print(f"wrote {path} (l2={best})")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

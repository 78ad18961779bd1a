"""Query-time ranking settings measured by fold, on an index built by `newsdesk eval`.

    python bench/tune_ranking.py DATA_DIR QA.jsonl UNANSWERABLE.jsonl [--round2] [--json OUT]

The dev questions carry a "date": July is fold A, August fold B. Each setting (a dict of
`search.*` overrides) is run once over every question; per fold it reports R@1/R@3/R@5,
recall within 200 words (index.evaluation.budget_hit), the false-refusal rate at
`search.min_score` and the refusal accuracy on the unanswerable file (all folds), and the
query p50 (question vectors cached, so p50 is the ranking cost without the embedding).
Then the selection both ways: the best setting on one fold (by R@1 + R@3 + recall@200w,
among those whose R@5 and false refusal are no worse than the baseline there), reported
on the other fold.
"""

import json
import statistics
import sys
import time
from pathlib import Path

from index.config import Config
from index.engine import Engine
from index.evaluation import budget_hit, first_answer_rank, load_qa

KEYS = ("candidates", "bm25_weight", "article_weight", "article_top", "expand_articles")
KEYS += ("lead_bonus",)
SETTINGS: list[dict] = [
    {},
    {"candidates": 100},
    {"candidates": 200},
    {"bm25_weight": 0.5},
    {"bm25_weight": 0.75},
    {"bm25_weight": 1.0},
    {"candidates": 100, "bm25_weight": 0.5},
    {"candidates": 100, "bm25_weight": 1.0},
    *[{"article_weight": w, "article_top": t} for w in (0.05, 0.1, 0.2) for t in (1, 2)],
    *[
        {"candidates": 100, "bm25_weight": b, "article_weight": w, "article_top": 2}
        for b in (0.25, 0.5)
        for w in (0.1, 0.2)
    ],
]

# Second round: the answer is often elsewhere in a top article (its lead): a stronger lead
# prior, and the other passages of the top articles as candidates (with article evidence).
SETTINGS_2: list[dict] = [
    {},
    {"lead_bonus": 0.08},
    {"lead_bonus": 0.12},
    *[{"expand_articles": n} for n in (1, 3, 5)],
    *[{"expand_articles": 3, "article_weight": w, "article_top": 1} for w in (0.1, 0.2)],
    {"expand_articles": 3, "lead_bonus": 0.08},
    {"expand_articles": 3, "bm25_weight": 0.5},
    {"expand_articles": 3, "bm25_weight": 0.5, "article_weight": 0.1, "article_top": 1},
]


def load_folds(path: Path) -> list[tuple[str, str, list[str]]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            o = json.loads(line)
            fold = "A" if o["date"][5:7] == "07" else "B"
            out.append((fold, o["question"].strip(), [str(a) for a in o["answers"]]))
    return out


def run(engine: Engine, qs, unans, overrides: dict) -> dict:
    sc = engine.config.search
    base = Config().search
    for key in KEYS:
        setattr(sc, key, overrides.get(key, getattr(base, key)))
    per = {"A": [], "B": []}
    lat = []
    for fold, question, answers in qs:
        t0 = time.perf_counter()
        hits = engine.retrieve(question, k=10).hits
        lat.append((time.perf_counter() - t0) * 1000)
        texts = [h.text for h in hits]
        covered = bool(hits) and hits[0].score >= sc.min_score
        per[fold].append(
            (first_answer_rank(texts, answers), budget_hit(texts, answers, 200), covered)
        )
    refused = [not engine.ask(q).covered for q in unans]
    out = {"setting": overrides, "p50_ms": statistics.median(lat),
           "refusal_acc": sum(refused) / len(refused)}  # fmt: skip
    for fold, rs in per.items():
        n = len(rs)
        out[fold] = {
            **{f"R@{k}": sum(r is not None and r <= k for r, _, _ in rs) / n for k in (1, 3, 5)},
            "R@200w": sum(b for _, b, _ in rs) / n,
            "false_refusal": sum(not c for _, _, c in rs) / n,
            "n": n,
        }
    return out


def objective(m: dict) -> float:
    return m["R@1"] + m["R@3"] + m["R@200w"]


def main() -> None:
    data, qa_path, unans_path = sys.argv[1:4]
    out_json = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    qs = load_folds(Path(qa_path))
    unans = [q.question for q in load_qa(Path(unans_path)) if q.no_answer]
    engine = Engine(Config(data_dir=data))
    engine.reload()
    qvecs = {}  # the question embedding is the same for every setting: cache it
    embed = engine.embedder.encode_queries
    engine.embedder.encode_queries = lambda texts: qvecs.setdefault(texts[0], embed(texts))
    for _, q, _ in qs:
        engine.embedder.encode_queries([q])
    for q in unans:
        engine.embedder.encode_queries([q])
    results = []
    settings = SETTINGS_2 if "--round2" in sys.argv else SETTINGS
    for s in settings:
        r = run(engine, qs, unans, s)
        results.append(r)
        print(
            json.dumps(s) or "{}", f"p50={r['p50_ms']:.1f}ms refusal_acc={r['refusal_acc']:.3f}",
            *(f"{f}: " + " ".join(f"{k}={v:.3f}" for k, v in r[f].items() if k != "n")
              for f in ("A", "B")),
            sep="\n  ", flush=True,
        )  # fmt: skip
    base = results[0]
    for fit, rep in (("A", "B"), ("B", "A")):
        ok = [
            r for r in results
            if r[fit]["R@5"] >= base[fit]["R@5"] and r[fit]["false_refusal"] <= base[fit]["false_refusal"]
        ]  # fmt: skip
        best = max(ok, key=lambda r: objective(r[fit]))
        print(f"\nfit on {fit}: {best['setting']} -> on {rep}: {best[rep]} (baseline {base[rep]})")
    if out_json:
        Path(out_json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

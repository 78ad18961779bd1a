"""Refusal by month fold: the covered decision's settings, read on the dev questions.

    python bench/refusal_folds.py DATA_DIR QA.jsonl UNANSWERABLE.jsonl [--json OUT]
        [--unrelated OTHER_DATA_DIR] [--min-scores 0.3,0.35,0.4]

DATA_DIR is an index of the dev corpus, as `newsdesk eval` builds it. Every question is
asked "as of" its quiz date with the engine's real retrieval, and for each setting the
share of unanswerable questions refused and of answerable ones wrongly refused is printed,
per month of the answerable questions (on the dev set July and August) as the folds: a
setting is chosen on one month and read on the other. Swept: the timeframe rule
(`search.timeframe` off, then `search.timeframe_slack_days` 0, 3, 7, 14) at the default
`min_score`, then `search.min_score` and `search.unknown_name_min_score` (the bar for a
question naming something no passage mentions; 0 = off), each with the rest as shipped.

With `--unrelated`, an index of coverage that does not cover the dev questions (other
years, other subjects: `../shared/feeds` and `../shared/pages/newspaper/html`), the
answerable questions are asked there too: each one quoted there is an off-topic question
answered with unrelated passages.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.config import Config  # noqa: E402
from index.engine import Engine  # noqa: E402
from index.evaluation import load_qa  # noqa: E402

SLACKS = (None, 0, 3, 7, 14)  # None: the timeframe off


def refused(engine: Engine, items) -> list[bool]:
    return [not engine.retrieve(qa.question, as_of=qa.as_of).covered for qa in items]


def _share(flags: list[bool]) -> list[int]:
    return [sum(flags), len(flags)]


def _month(qa) -> str:
    return qa.as_of.strftime("%Y-%m") if qa.as_of else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("qa", type=Path)
    ap.add_argument("unanswerable", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--unrelated", type=Path, help="an index of coverage unrelated to QA")
    ap.add_argument("--min-scores", default="0.3,0.33,0.35,0.38,0.4")
    ap.add_argument("--name-bars", default="0,0.4,0.45,0.5")
    args = ap.parse_args()
    answerable = [q for q in load_qa(args.qa) if not q.no_answer]
    unanswerable = [q for q in load_qa(args.unanswerable) if q.no_answer]
    base = Config(data_dir=str(args.data_dir))
    months = sorted({_month(q) for q in answerable if q.as_of})
    settings = [
        {"timeframe": slack is not None, "timeframe_slack_days": slack or 0} for slack in SLACKS
    ]
    settings += [{"min_score": float(m)} for m in args.min_scores.split(",")]
    settings += [{"unknown_name_min_score": float(m)} for m in args.name_bars.split(",")]
    head = "setting | refused unanswerable | wrongly refused: all | " + " | ".join(months)
    print(head + (" | unrelated: refused" if args.unrelated else ""))
    rows, embedder = [], None
    for change in settings:
        search = dataclasses.replace(base.search, **change)
        engine = Engine(dataclasses.replace(base, search=search), embedder)
        embedder = engine.embedder
        wrong = refused(engine, answerable)
        right = refused(engine, unanswerable)
        engine.close()
        by_month = {
            m: _share([w for w, q in zip(wrong, answerable, strict=True) if _month(q) == m])
            for m in months
        }
        row = {
            "swept": next((k for k in change if "min_score" in k), "timeframe"),
            "min_score": search.min_score,
            "unknown_name_min_score": search.unknown_name_min_score,
            "timeframe_slack_days": search.timeframe_slack_days if search.timeframe else None,
            "refused_unanswerable": _share(right),
            "wrongly_refused": _share(wrong),
            "wrongly_refused_by_month": by_month,
        }
        shares = [row["refused_unanswerable"], row["wrongly_refused"], *by_month.values()]
        if args.unrelated:
            other = Engine(
                dataclasses.replace(base, search=search, data_dir=str(args.unrelated)), embedder
            )
            row["unrelated_refused"] = _share(refused(other, answerable))
            other.close()
            shares.append(row["unrelated_refused"])
        rows.append(row)
        label = ", ".join(f"{k} {v}" for k, v in change.items())
        print(f"{label} | " + " | ".join(f"{a}/{n} = {a / max(n, 1):.3f}" for a, n in shares))
    if args.json:
        args.json.write_text(json.dumps({"settings": rows}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

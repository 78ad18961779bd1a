"""Refusal by month fold: how the question's own time words (`search.timeframe`) refuse.

    python bench/refusal_folds.py DATA_DIR QA.jsonl UNANSWERABLE.jsonl [--json OUT]

DATA_DIR is an index of the dev corpus, as `newsdesk eval` builds it. For each setting
(the timeframe off, then `search.timeframe_slack_days` 0, 3, 7, 14) it asks every question
"as of" its quiz date with the engine's real retrieval and prints the share of
unanswerable questions refused and of answerable ones wrongly refused, per month of the
answerable questions (on the dev set July and August) as the folds: a setting is chosen
on one month and read on the other.
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

SETTINGS = (None, 0, 3, 7, 14)  # None: the timeframe off


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
    args = ap.parse_args()
    answerable = [q for q in load_qa(args.qa) if not q.no_answer]
    unanswerable = [q for q in load_qa(args.unanswerable) if q.no_answer]
    base = Config(data_dir=str(args.data_dir))
    embedder = None
    months = sorted({_month(q) for q in answerable if q.as_of})
    rows = []
    print("slack | refused unanswerable | wrongly refused: all | " + " | ".join(months))
    for slack in SETTINGS:
        search = dataclasses.replace(
            base.search, timeframe=slack is not None, timeframe_slack_days=slack or 0
        )
        engine = Engine(dataclasses.replace(base, search=search), embedder)
        embedder = engine.embedder
        wrong = refused(engine, answerable)
        right = refused(engine, unanswerable)
        by_month = {
            m: _share([w for w, q in zip(wrong, answerable, strict=True) if _month(q) == m])
            for m in months
        }
        row = {
            "timeframe_slack_days": slack,
            "refused_unanswerable": _share(right),
            "wrongly_refused": _share(wrong),
            "wrongly_refused_by_month": by_month,
        }
        rows.append(row)
        shares = [row["refused_unanswerable"], row["wrongly_refused"], *by_month.values()]
        print(
            f"{'off' if slack is None else slack:>5} | "
            + " | ".join(f"{a}/{n} = {a / max(n, 1):.3f}" for a, n in shares)
        )
        engine.close()
    if args.json:
        args.json.write_text(json.dumps({"settings": rows}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

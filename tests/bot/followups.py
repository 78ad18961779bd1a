"""Measures follow-up questions: R@3 of each follow-up in tests/bot/data/followups.jsonl
asked alone and with the conversation's previous question as context, and what context
costs a question that starts a new topic (each dev question after an unrelated one).

    python -m tests.bot.followups DATA_DIR [--json]

DATA_DIR holds an index of shared/eval/realtimeqa-2022-dev/corpus.jsonl (`newsdesk
index --data-dir DATA_DIR --source .../corpus.jsonl`, or the one `newsdesk eval` builds).
Not a test: it needs that index (about 50,000 passages) and prints numbers to report.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.conversation import follow_up_query, prefer_context
from index import Engine
from index.config import Config
from index.evaluation import first_answer_rank

HERE = Path(__file__).resolve().parent
DEV = HERE.parents[2] / "shared" / "eval" / "realtimeqa-2022-dev" / "qa.jsonl"


def as_the_bot_does(engine: Engine, previous: str, question: str) -> str:
    """The query the bot answers a follow-up with (bot.ask.AskCog._answer)."""
    query = follow_up_query(previous, question)
    return query if prefer_context(engine.ask(question), engine.ask(query)) else question


VARIANTS = {
    "alone": lambda engine, previous, question: question,
    "always with context": lambda engine, previous, question: follow_up_query(previous, question),
    "as the bot does": as_the_bot_does,
}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def recall_at_3(engine: Engine, queries: list[tuple[str, list[str]]]) -> float:
    found = 0
    for query, answers in queries:
        hits = engine.retrieve(query, k=3).hits
        rank = first_answer_rank([h.text for h in hits], answers)
        found += rank is not None
    return found / len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    engine = Engine(Config(data_dir=str(args.data_dir)))
    pairs = read_jsonl(HERE / "data" / "followups.jsonl")
    dev = read_jsonl(DEV)
    # A new topic: each dev question asked right after the one before it in the file.
    fresh = [(dev[i - 1]["question"], d["question"], d["answers"]) for i, d in enumerate(dev)]
    results = {}
    for name, combine in VARIANTS.items():
        results[name] = {
            "follow-up R@3": recall_at_3(
                engine, [(combine(engine, p["first"], p["followup"]), p["answers"]) for p in pairs]
            ),
            "new-topic R@3": recall_at_3(
                engine, [(combine(engine, prev, q), answers) for prev, q, answers in fresh]
            ),
        }
    if args.json:
        print(json.dumps({"pairs": len(pairs), "new_topic": len(fresh), **results}, indent=2))
        return
    print(f"{len(pairs)} follow-ups, {len(fresh)} new-topic questions")
    for name, r in results.items():
        print(f"{name:24} " + "  ".join(f"{k} {v:.3f}" for k, v in r.items()))


if __name__ == "__main__":
    main()

"""Retrieval evaluation: answer recall@k, MRR@10, refusal accuracy and latency per mode.

QA file: one JSON object a line, `{"question": ..., "answers": [...]}` or
`{"question": ..., "no_answer": true}`, optionally with the `"date"` it was asked
(YYYY-MM-DD or YYYY/MM/DD): the engine's "as of" day, as the bot's is today. A question is
answered at k when any answer string occurs, case-insensitively, in one of the top-k
passages.

Recall@k rewards long passages: ten 150-word windows hold more answers than ten 60-word
paragraphs. Two figures that passage length can't buy are reported beside it:

- **recall within a reading budget** (`recall@200w`: about one reply; `recall@170w`: one
  1,000-character chunk): the top passages are read in rank order until W words have been
  read, the last one cut after the words left, so exactly W words are read (a first passage
  longer than W is cut to W words). Each passage is matched on its own text, so an answer
  cut by the budget, or split between two passages, is a miss.
- **shown recall@3**: the answer occurs in the text the bot shows for its top 3 passages,
  after trimming to Discord's limits (`shown(hit)`, the bot's renderer); a question the bot
  refuses shows nothing, so it counts as a miss.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .errors import NewsdeskError, reading
from .models import Answer, Hit

BUDGETS = (170, 200)  # words: one 1,000-character chunk; about one reply
SHOWN_K = 3  # passages the bot shows (search.top_k)
_WORD = re.compile(r"\S+")


@dataclass
class QA:
    question: str
    answers: list[str] = field(default_factory=list)
    no_answer: bool = False
    as_of: date | None = None  # the day it was asked; None: today


def load_qa(path: Path) -> list[QA]:
    with reading(path, "QA file", "JSONL", NewsdeskError), open(path, encoding="utf-8") as fh:
        lines = fh.readlines()
    items = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            q = str(obj["question"]).strip()
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise NewsdeskError(f"{path} line {n}: not a QA record ({exc})") from None
        raw = obj.get("answers", [])
        if not isinstance(raw, list):
            raise NewsdeskError(f"{path} line {n}: 'answers' must be a list of strings")
        answers = [str(a) for a in raw if str(a).strip()]
        no_answer = bool(obj.get("no_answer"))
        if not no_answer and not answers:
            raise NewsdeskError(f"{path} line {n}: needs 'answers' or 'no_answer': true")
        asked = str(obj.get("date") or "").strip()
        try:
            as_of = date.fromisoformat(asked.replace("/", "-")) if asked else None
        except ValueError:
            raise NewsdeskError(
                f"{path} line {n}: 'date' must be YYYY-MM-DD, got {asked!r}"
            ) from None
        items.append(QA(q, answers, no_answer, as_of))
    if not items:
        raise NewsdeskError(f"{path} holds no questions")
    return items


def first_answer_rank(passages: Sequence[str], answers: Sequence[str]) -> int | None:
    """1-based rank of the first passage containing an answer string, or None."""
    lowered = [a.lower() for a in answers]
    for rank, text in enumerate(passages, 1):
        low = text.lower()
        if any(a in low for a in lowered):
            return rank
    return None


def within_budget(passages: Sequence[str], words: int) -> list[str]:
    """The top passages as read within `words` words (whitespace-separated tokens), in
    rank order, the last one cut after the words left: exactly `words` words when the
    passages hold that many. The text kept is the passage's own, up to its last word."""
    read, left = [], words
    for text in passages:
        if left <= 0:
            break
        spans = list(_WORD.finditer(text))
        if len(spans) > left:
            text = text[: spans[left - 1].end()]
        read.append(text)
        left -= len(spans)
    return read


def budget_hit(passages: Sequence[str], answers: Sequence[str], words: int) -> bool:
    """Whether an answer string occurs in the passages read within `words` words."""
    return first_answer_rank(within_budget(passages, words), answers) is not None


@dataclass
class ModeResult:
    mode: str
    recall: dict[int, float]
    mrr10: float
    budget_recall: dict[int, float]  # words -> share answered within that reading budget
    shown_recall: float | None  # share answered in the text the bot shows (top 3)
    answerable: int
    unanswerable: int
    refusal_accuracy: float | None  # share of no-answer questions refused
    false_refusal: float  # share of answerable questions wrongly refused
    latency_p50_ms: float

    def as_dict(self) -> dict:
        return {
            "mode": self.mode,
            **{f"recall@{k}": round(v, 4) for k, v in self.recall.items()},
            **{f"recall@{w}w": round(v, 4) for w, v in self.budget_recall.items()},
            "shown_recall@3": None if self.shown_recall is None else round(self.shown_recall, 4),
            "mrr@10": round(self.mrr10, 4),
            "answerable": self.answerable,
            "unanswerable": self.unanswerable,
            "refusal_accuracy": None
            if self.refusal_accuracy is None
            else round(self.refusal_accuracy, 4),
            "false_refusal": round(self.false_refusal, 4),
            "latency_p50_ms": round(self.latency_p50_ms, 2),
        }


def evaluate(
    retrieve: Callable[[str, str, int, date | None], Answer],
    items: list[QA],
    mode: str,
    ks: list[int],
    shown: Callable[[Hit], str] | None = None,
    budgets: Sequence[int] = BUDGETS,
) -> ModeResult:
    """Score one mode. `retrieve(question, mode, k, as_of)` returns ranked hits with scores;
    `shown(hit)` is the text the bot shows for a hit (no shown recall without it).
    The top 10 (or max k) passages are retrieved, enough for 200 words of 60-word ones."""
    depth = max([*ks, 10])
    hits_at = {k: 0 for k in ks}
    in_budget = {w: 0 for w in budgets}
    shown_hits = 0
    rr, latencies = 0.0, []
    refused_ok = refused_wrong = 0
    answerable = [q for q in items if not q.no_answer]
    for qa in items:
        t0 = time.perf_counter()
        answer = retrieve(qa.question, mode, depth, qa.as_of)
        latencies.append((time.perf_counter() - t0) * 1000)
        covered = answer.covered
        if qa.no_answer:
            refused_ok += not covered
            continue
        refused_wrong += not covered
        texts = [h.text for h in answer.hits]
        for w in budgets:
            in_budget[w] += budget_hit(texts, qa.answers, w)
        if shown and covered:
            seen = [shown(h) for h in answer.hits[:SHOWN_K]]
            shown_hits += first_answer_rank(seen, qa.answers) is not None
        rank = first_answer_rank(texts, qa.answers)
        if rank is not None:
            rr += 1 / rank if rank <= 10 else 0
            for k in ks:
                hits_at[k] += rank <= k
    n = max(len(answerable), 1)
    unanswerable = len(items) - len(answerable)
    return ModeResult(
        mode=mode,
        recall={k: hits_at[k] / n for k in ks},
        mrr10=rr / n,
        budget_recall={w: in_budget[w] / n for w in budgets},
        shown_recall=shown_hits / n if shown else None,
        answerable=len(answerable),
        unanswerable=unanswerable,
        refusal_accuracy=refused_ok / unanswerable if unanswerable else None,
        false_refusal=refused_wrong / n,
        latency_p50_ms=statistics.median(latencies) if latencies else 0.0,
    )

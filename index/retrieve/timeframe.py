"""The time a question itself names: "this week", "yesterday", "on Tuesday".

A question that says when ("Which company announced layoffs this week?") is about news
published in that window relative to the day it is asked. When the coverage has nothing
from that window on the question, it cannot answer it, however close an older story
looks: the engine then says so instead of quoting last year's layoffs. Only words that
point at the asking day count; "in January" or "in 2020" name when something happened,
which a later article may well report, so they set no window.

Pure: a question and a day in, a window of publication days out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

# (pattern, days before the asking day the window opens; None: since 1 January). The
# widest window a question names wins, so "yesterday ... this week" is a week.
_SPANS: tuple[tuple[str, int | None], ...] = (
    (r"\bthis year\b", None),
    (r"\bthis (?:summer|fall|autumn|winter|spring)\b", 92),
    (r"\bthis month\b|\bnext (?:month|week)\b|\bupcoming\b", 31),  # the announcement is recent
    (r"\b(?<!most )recent(?:ly)?\b", 30),  # "the most recent year they won" is history
    (r"\b(?:last|previous) week(?:end)?\b|\bright now\b", 14),
    (r"\b(?:(?:this |the )?past|this) week(?:end)?\b|\bover the weekend\b", 7),
    (r"\bon (?:mon|tues|wednes|thurs|fri|satur|sun)day\b", 7),
    (r"\b(?:yesterday|last night)\b", 2),
    # "USA Today" and the "Today" show are not the day
    (r"\b(?:(?<!usa )(?<!the )today(?! show)|tonight|this (?:morning|afternoon|evening))\b", 1),
)
_COMPILED = tuple((re.compile(p, re.IGNORECASE), days) for p, days in _SPANS)
# A page dated up to this long after the window may be that week's story, updated since.
LATE_SLACK_DAYS = 14


@dataclass(frozen=True, slots=True)
class Timeframe:
    """Publication days [first, last] a question's own time words point at, and the words."""

    first: date
    last: date
    words: str

    def holds(self, published: str, slack_days: int = 0) -> bool | None:
        """Whether an ISO `published` day falls in the window opened `slack_days` earlier
        (dates in scraped pages are often days off) and LATE_SLACK_DAYS later (a page's
        date may be its last update); None when the day is unknown, since an undated
        article may well be from the window."""
        try:
            day = date.fromisoformat(published[:10])
        except ValueError:
            return None
        first = self.first - timedelta(days=slack_days)
        return first <= day <= self.last + timedelta(days=LATE_SLACK_DAYS)


def question_timeframe(question: str, as_of: date) -> Timeframe | None:
    """The window of publication days the question's time words name, asked on `as_of`;
    None when it names none."""
    found = [
        (m.group(0), (as_of - date(as_of.year, 1, 1)).days if days is None else days)
        for rx, days in _COMPILED
        if (m := rx.search(question))
    ]
    if not found:
        return None
    words, days = max(found, key=lambda f: f[1])
    return Timeframe(as_of - timedelta(days=days), as_of, words.lower())


def covered_in(
    frame: Timeframe, candidates: Iterable[tuple[float, str]], min_score: float, slack_days: int
) -> bool:
    """Whether some candidate (relevance, ISO published day) relevant enough to cover a
    question (`min_score`) may be from the window: in it, or undated."""
    return any(
        rel >= min_score and frame.holds(published, slack_days) is not False
        for rel, published in candidates
    )


def not_covered_reason(frame: Timeframe) -> str:
    """What the reply says when nothing relevant comes from the question's window."""
    return (
        f"Nothing in the coverage from {frame.first.isoformat()} to {frame.last.isoformat()} "
        f"(“{frame.words}”) addresses this question."
    )

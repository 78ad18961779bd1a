"""What a reply shows of a passage: trimmed around its answering sentence (pure text).

Here rather than in the bot so that `newsdesk eval` measures the shown text (shown R@3)
without importing the Discord layer; the bot renders this, escaped, in its embeds.
"""

from __future__ import annotations

import re

from .models import Hit

ELLIPSIS = "…"
PASSAGE_BUDGET = 900  # characters of one quoted passage before trimming around the quote
_WHITESPACE = re.compile(r"[ \t]+")


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, on a word boundary when one is near."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    # never leave a dangling escape backslash at the end
    while cut.endswith("\\"):
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS


def excerpt(hit: Hit, budget: int = PASSAGE_BUDGET) -> tuple[str, str, str]:
    """(before, quote, after) of the passage, trimmed to about `budget` characters.

    The answering sentence is kept whole when it fits; context is taken from both sides
    of it, cut on word boundaries and marked with an ellipsis where text was dropped.
    """
    text = _WHITESPACE.sub(" ", hit.text)
    quote = _WHITESPACE.sub(" ", hit.quote).strip()
    start = text.find(quote) if quote else -1
    if start < 0:  # the quote can't be located: show the passage head, unmarked
        return clip(text.strip(), budget), "", ""
    before, after = text[:start], text[start + len(quote) :]
    if len(quote) >= budget:
        lead = ELLIPSIS if before.strip() else ""
        return lead, clip(quote, budget), ""
    room = budget - len(quote)
    keep_after = min(len(after), max(room // 2, room - len(before)))
    keep_before = min(len(before), room - keep_after)
    return _tail(before, keep_before), quote, _head(after, keep_after)


def _tail(text: str, n: int) -> str:
    if len(text) <= n:
        return text
    if n <= 2:
        return ELLIPSIS + " " if text.strip() else ""
    cut = text[len(text) - n + 1 :]
    space = cut.find(" ")
    if 0 <= space < len(cut) * 0.4:
        cut = cut[space:]
    return ELLIPSIS + cut.lstrip() if cut.strip() else ELLIPSIS + " "


def _head(text: str, n: int) -> str:
    if len(text) <= n:
        return text
    if n <= 2:
        return " " + ELLIPSIS if text.strip() else ""
    cut = text[: n - 1]
    space = cut.rfind(" ")
    if space > len(cut) * 0.6:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS

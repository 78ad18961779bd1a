"""Conversations with the bot: which messages ask something, and what each answer
answered, so a reply can carry on. Pure: no Discord here."""

from __future__ import annotations

import re

# First words of a question (or a request) that need no question mark.
QUESTION_WORDS = frozenset({
    "who", "whom", "whose", "what", "which", "when", "where", "why", "how", "is", "are",
    "was", "were", "am", "do", "does", "did", "can", "could", "will", "would", "should",
    "shall", "may", "might", "has", "have", "had", "and", "but", "or", "so", "then", "tell",
    "show", "list", "give", "explain", "describe", "any", "anything", "anyone", "more",
})  # fmt: skip


def looks_like_question(text: str) -> bool:
    """True for text that asks something ("And Lavrov?", "what did he say"), False for
    acknowledgements ("thanks!", "great", "👍") that need no answer."""
    text = text.strip()
    if text.endswith("?"):
        return True
    words = re.findall(r"[\w']+", text.lower())
    return len(words) >= 3 and words[0] in QUESTION_WORDS


class Memory:
    """The question behind each of the bot's recent answers (by message id), and the last
    question answered in each thread; the oldest are forgotten past `size`."""

    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self._items: dict[int, str] = {}

    def remember(self, key: int, question: str) -> None:
        self._items.pop(key, None)
        self._items[key] = question
        while len(self._items) > self.size:
            del self._items[next(iter(self._items))]

    def get(self, key: int | None) -> str | None:
        return None if key is None else self._items.get(key)

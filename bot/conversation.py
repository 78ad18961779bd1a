"""Conversations with the bot: which messages ask something, and what each answer
answered, so a reply can carry on. Pure: no Discord here."""

from __future__ import annotations

import re

from index import Answer

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


# How much more relevant the best passage found with the previous question as context
# must be than the one found without, for a follow-up to be answered with context. Too
# low and a reply on a new topic drags the old one along; measured with
# tests/bot/followups.py (the figures are in the README's bot section).
CONTEXT_MARGIN = 0.1
CONTEXT_CHARS = 600  # of the conversation so far, kept as a follow-up's context


def follow_up_query(previous: str, question: str) -> str:
    """What a follow-up is searched with: the conversation so far (its last words, in
    a long one), then the follow-up."""
    if len(previous) > CONTEXT_CHARS:
        previous = previous[-CONTEXT_CHARS:].split(" ", 1)[-1]
    return f"{previous} {question}"


def top_score(answer: Answer) -> float:
    """The relevance of an answer's best passage (0 when nothing answers it)."""
    return answer.hits[0].score if answer.covered and answer.hits else 0.0


def prefer_context(alone: Answer, with_context: Answer) -> bool:
    """True when the search with context found clearly more relevant passages."""
    return top_score(with_context) > top_score(alone) + CONTEXT_MARGIN

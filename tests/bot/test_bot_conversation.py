"""bot.conversation is pure: what asks something, what a follow-up searches for, and what
the bot remembers of a conversation."""

from __future__ import annotations

import pytest

from bot import conversation
from bot.conversation import Memory, follow_up_query, looks_like_question, prefer_context
from index import Answer, Citation, Hit


@pytest.mark.parametrize(
    "text", ["And what did Lavrov say?", "why?", "what did he say", "Tell me more about it"]
)
def test_questions(text):
    assert looks_like_question(text)


@pytest.mark.parametrize("text", ["thanks!", "Thanks, great answer", "👍", "ok", "", "lol"])
def test_acknowledgements_ask_nothing(text):
    assert not looks_like_question(text)


def test_a_follow_up_searches_with_the_conversation_so_far():
    assert (
        follow_up_query("Who did Shoigu meet?", "And Lavrov?") == "Who did Shoigu meet? And Lavrov?"
    )
    long = " ".join(f"word{i}" for i in range(400))
    query = follow_up_query(long, "And then?")
    assert query.endswith("word399 And then?") and len(query) <= conversation.CONTEXT_CHARS + 10
    assert query.split()[0].startswith("word")  # cut on a word boundary


def answer(score: float | None) -> Answer:
    if score is None:
        return Answer("q", False, [])
    hit = Hit(1, "Text.", "Text.", 0, score, Citation(1, "T", "O", "", "", ""))
    return Answer("q", True, [hit])


def test_context_is_used_only_when_clearly_more_relevant():
    margin = conversation.CONTEXT_MARGIN
    assert prefer_context(answer(None), answer(0.5))
    assert prefer_context(answer(0.4), answer(0.4 + margin + 0.01))
    assert not prefer_context(answer(0.4), answer(0.4 + margin - 0.01))
    assert not prefer_context(answer(0.6), answer(None))


def test_memory_forgets_the_oldest():
    memory = Memory(size=2)
    for key in (1, 2, 3):
        memory.remember(key, f"q{key}")
    assert memory.get(1) is None and memory.get(2) == "q2" and memory.get(3) == "q3"
    memory.remember(2, "again")  # remembered anew: now the newest
    memory.remember(4, "q4")
    assert memory.get(3) is None and memory.get(2) == "again" and memory.get(None) is None

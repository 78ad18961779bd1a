"""The names a question gives, for telling a question the coverage never touches (pure).

A question that names someone or something no passage mentions ("Which walrus named Freya
...") is about a story the coverage does not have; passages that merely share its subject
("a walrus", "this summer") score a middling relevance in almost any pile of text. The
engine refuses such a question unless some candidate is clearly relevant
(`search.unknown_name_min_score`), and says which name it never found.
"""

from __future__ import annotations

import re

# A capitalised word not at a sentence start: a cheap stand-in for the names a question
# gives (a misspelt one too, which the refusal then shows). Numbers are left out: "the
# 2030 World Cup" is a date, and a date after the newest article is unknown by construction.
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w&'’-]*")


def question_names(question: str) -> list[str]:
    """The question's capitalised words, in order, once each, possessives dropped."""
    names = (re.sub(r"['’]s$", "", m) for m in _NAME.findall(question.strip()))
    return list(dict.fromkeys(n for n in names if n))


def never_mentioned_reason(names: list[str]) -> str:
    """What the reply says when the coverage mentions none of these names."""
    quoted = [f"“{n}”" for n in names[:3]]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"Nothing in the coverage mentions {listed}."

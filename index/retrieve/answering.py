"""Which sentence of a quoted passage answers the question: the one a reply marks (pure).

The sentence most similar to the question often restates it ("Rafael Nadal has withdrawn
from Wimbledon") while the next one answers it ("... paving the way for Nick Kyrgios").
Each sentence is scored by a linear function of its cosine with the question and what an
answer is made of: names and numbers the question lacks (for which/who and how-many/when
questions) and the share of the question's words it holds (a plain share: IDF is
unreliable in a small index, where a word every passage shares weighs nothing; the
sample's "Is China a member of the ICC?" marked the wrong sentence with it). The weights are data
(`index/data/quote.json`), fitted by `bench/train_quote.py` on the dev questions by
month folds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .fusion import QueryTerms, QuestionKind, has_number, novel_names, question_kind
from .weights import read_weights, shipped_data, weights_dict

QUOTE_FEATURES = (
    "sentence_cos",  # the question's cosine with the sentence vector
    "names",  # log(1 + names and numbers the question lacks)
    "names_for_which",  # the same, for which/who/what questions
    "number_for_quantity",  # a number or date, for how-many/when questions
    "coverage",  # the share of the question's BM25 terms the sentence holds
    "wanted_quantity",  # the kind of quantity the question asks for: a sum, a percentage, ...
)

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# What answers "how much", "what percentage", "how old", "how many", "when": the question's
# words on the left, the sentence's shape on the right; the first that matches decides.
_WANTED = [
    (
        r"how much|\bcost|\bprice|\bworth|\bpaid\b|\bpay\b|\bfetch|\bsold for|\bfined?\b",
        r"[$£€¥]\s?\d|\d[\d,.]*\s?(?:million|billion|trillion|dollars|pounds|euros)\b",
    ),
    (r"percent", r"\d\s?(?:%|percent|per cent)"),
    (r"how old|\bage\b", r"\baged?\s\d|\d+-year-old|\b\d{1,3},\s"),
    (
        r"how many|how long",
        r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?"
        r"|hundreds?|thousands?|millions?)\b",
    ),
    (
        r"what year|which year|what date|what day|\bwhen\b",
        rf"\b(?:1[89]|20)\d\d\b|\b(?:{_MONTHS}|Monday|Tuesday|Wednesday|Thursday|Friday"
        r"|Saturday|Sunday)\b",
    ),
]
_WANTED_RE = [(re.compile(q, re.I), re.compile(a, re.I)) for q, a in _WANTED]


@dataclass(frozen=True)
class Asked:
    """What the quote is chosen for: the question's kind, its BM25 terms, and the shape
    of the quantity it asks for (None when it asks for none)."""

    kind: QuestionKind
    terms: QueryTerms
    wants: re.Pattern | None


def asked(question: str, terms: QueryTerms) -> Asked:
    wants = next((a for q, a in _WANTED_RE if q.search(question)), None)
    return Asked(question_kind(question), terms, wants)


def sentence_features(sims: np.ndarray, texts: list[str], q: Asked) -> np.ndarray:
    """The (n, len(QUOTE_FEATURES)) matrix of n sentences with cosines `sims`."""
    kind, terms = q.kind, q.terms
    rows = []
    for sim, text in zip(sims, texts, strict=True):
        names = math.log1p(novel_names(text, kind))
        held = {stem for _, stem in terms.found(text)}
        coverage = len(held) / len(terms.idf) if terms.idf else 0.0
        quantity = float(has_number(text)) * kind.asks_quantity
        wanted = float(q.wants is not None and q.wants.search(text) is not None)
        rows.append([float(sim), names, names * kind.asks_which, quantity, coverage, wanted])
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(QUOTE_FEATURES))


@dataclass(frozen=True)
class QuoteScorer:
    """Weights over QUOTE_FEATURES; the highest-scoring sentence is the quote."""

    weights: np.ndarray

    def pick(
        self,
        sims: np.ndarray,
        spans: list[tuple[int, int]],
        text: str,
        q: Asked,
    ) -> tuple[int, int]:
        """The (start, end) span in `text` of the answering sentence among `spans`."""
        if not spans:
            return (0, 0)
        x = sentence_features(sims[: len(spans)], [text[a:b] for a, b in spans], q)
        return spans[int(np.argmax(x @ self.weights))]

    @classmethod
    def from_dict(cls, data: dict) -> QuoteScorer:
        return cls(read_weights(data, QUOTE_FEATURES, "quote"))

    def to_dict(self) -> dict:
        return weights_dict(self.weights, QUOTE_FEATURES)


def shipped() -> QuoteScorer:
    """The weights shipped in the package (index/data/quote.json)."""
    return QuoteScorer.from_dict(shipped_data("quote.json"))

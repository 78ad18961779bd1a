"""The sentence a reply marks as the answer: scored by what answers are made of."""

import numpy as np
import pytest

from index.retrieve import answering, fusion
from index.retrieve.answering import QUOTE_FEATURES, QuoteScorer, sentence_features

TEXT = (
    "The council voted to approve protected bike lanes along Main Street. "
    "Construction will begin in March and cost about $4.2 million."
)
SPANS = [(0, 68), (69, len(TEXT))]
COSINE_ALONE = QuoteScorer(np.eye(len(QUOTE_FEATURES))[0])


def _terms(question: str) -> fusion.QueryTerms:
    # IDF as a search would give it: every question word counts once
    return fusion.QueryTerms({w: 1.0 for w in ("bike", "lane", "main", "street", "cost")})


def test_a_quantity_question_marks_the_sentence_with_the_number():
    question = "How much will the Main Street bike lanes cost?"
    kind, terms = fusion.question_kind(question), _terms(question)
    sims = np.array([0.71, 0.55])  # the restating sentence is the more similar one
    assert TEXT[slice(*SPANS[0])].startswith("The council")
    assert COSINE_ALONE.pick(sims, SPANS, TEXT, kind, terms) == SPANS[0]
    assert answering.shipped().pick(sims, SPANS, TEXT, kind, terms) == SPANS[1]


def test_features_read_names_numbers_and_coverage():
    kind = fusion.question_kind("Who approved the bike lanes?")
    texts = [TEXT[a:b] for a, b in SPANS]
    x = sentence_features(np.array([0.7, 0.5]), texts, kind, _terms(""))
    assert x.shape == (2, len(QUOTE_FEATURES))
    assert x[:, 0].tolist() == [0.7, 0.5]
    assert (
        x[0, 1] > 0 and x[0, 2] == x[0, 1]
    )  # "Main Street": names the question lacks, a who question
    assert x[1, 3] == 0.0  # a number, but not a how-many question
    assert x[0, 4] == pytest.approx(0.8)  # bike, lane, main, street of five terms
    assert sentence_features(np.array([]), [], kind, _terms("")).shape == (0, len(QUOTE_FEATURES))


def test_weights_are_checked_and_round_trip():
    shipped = answering.shipped()
    assert QuoteScorer.from_dict(shipped.to_dict()).weights.tolist() == pytest.approx(
        shipped.weights.tolist(), abs=1e-4
    )
    with pytest.raises(ValueError, match="unknown features: colour"):
        QuoteScorer.from_dict({"weights": {"colour": 1.0}})
    with pytest.raises(ValueError, match="finite"):
        QuoteScorer.from_dict({"weights": {"names": float("nan")}})
    assert COSINE_ALONE.pick(np.array([]), [], "", fusion.question_kind("q"), _terms("")) == (0, 0)

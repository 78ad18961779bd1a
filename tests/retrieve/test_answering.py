"""The sentence a reply marks as the answer: scored by what answers are made of."""

import numpy as np
import pytest

from index.retrieve import answering, fusion
from index.retrieve.answering import QUOTE_FEATURES, QuoteScorer, asked, sentence_features

TEXT = (
    "The council voted 7-2 to approve protected bike lanes along Main Street. "
    "Construction will begin in March and cost about $4.2 million."
)
SPANS = [(0, 72), (73, len(TEXT))]
COSINE_ALONE = QuoteScorer(np.eye(len(QUOTE_FEATURES))[0])
TERMS = fusion.QueryTerms({w: 1.0 for w in ("bike", "lane", "main", "street", "cost")})


def test_a_how_much_question_marks_the_sentence_with_the_sum():
    q = asked("How much will the Main Street bike lanes cost?", TERMS)
    sims = np.array([0.71, 0.55])  # the restating sentence is the more similar one
    assert TEXT[slice(*SPANS[0])].endswith("Main Street.")
    assert COSINE_ALONE.pick(sims, SPANS, TEXT, q) == SPANS[0]
    # both sentences have a number ("7-2"); only the second a sum of money
    assert answering.shipped().pick(sims, SPANS, TEXT, q) == SPANS[1]


@pytest.mark.parametrize(
    ("question", "shape", "not_shape"),
    [
        ("How much did the painting fetch?", "sold for $5 million", "in 2021"),
        ("What percentage of voters agreed?", "about 49% of them", "49 voters"),
        ("How old was the actor?", "died aged 77", "the 77 films"),
        ("How many people were evacuated?", "more than 120,000 people", "many people"),
        ("When will payments restart?", "restart in September", "restart soon"),
    ],
)
def test_the_wanted_quantity_follows_the_question(question, shape, not_shape):
    q = asked(question, TERMS)
    assert q.wants is not None and q.wants.search(shape) and not q.wants.search(not_shape)


def test_features_read_names_numbers_and_coverage():
    q = asked("Who approved the bike lanes?", TERMS)
    assert q.wants is None
    texts = [TEXT[a:b] for a, b in SPANS]
    x = sentence_features(np.array([0.7, 0.5]), texts, q)
    assert x.shape == (2, len(QUOTE_FEATURES))
    assert x[:, 0].tolist() == [0.7, 0.5]
    assert x[0, 1] > 0 and x[0, 2] == x[0, 1]  # "Main Street": names the question lacks
    assert x[1, 3] == 0.0  # a number, but not a how-many question
    assert x[0, 4] == pytest.approx(0.8)  # bike, lane, main, street of the five terms
    assert x[:, 5].tolist() == [0.0, 0.0]  # no quantity asked for
    assert sentence_features(np.array([]), [], q).shape == (0, len(QUOTE_FEATURES))


def test_weights_are_checked_and_round_trip():
    shipped = answering.shipped()
    assert QuoteScorer.from_dict(shipped.to_dict()).weights.tolist() == pytest.approx(
        shipped.weights.tolist(), abs=1e-4
    )
    with pytest.raises(ValueError, match="unknown features: colour"):
        QuoteScorer.from_dict({"weights": {"colour": 1.0}})
    with pytest.raises(ValueError, match="finite"):
        QuoteScorer.from_dict({"weights": {"names": float("nan")}})
    assert COSINE_ALONE.pick(np.array([]), [], "", asked("q", TERMS)) == (0, 0)

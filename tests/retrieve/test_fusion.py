"""The learned fusion's features and weights (pure)."""

import math

import numpy as np
import pytest

from index.retrieve.fusion import (
    FEATURES,
    Fusion,
    QueryTerms,
    age_in_days,
    features,
    has_number,
    novel_names,
    question_kind,
    sentence_coverage,
    shipped,
)


def _features(kind, **over):
    n = 3
    args = dict(
        passage_cos=np.array([0.5, 0.4, 0.3]),
        sentence_cos=np.array([0.6, 0.5, 0.2]),
        bm25=np.array([4.0, 0.0, 2.0]),
        article=np.array([7, 7, 9]),
        order=np.array([0, 3, 1]),
        words=np.array([60, 200, 40]),
        coverage=np.array([1.0, 0.5, 0.0]),
        sentence_coverage=np.array([0.8, 0.0, 0.3]),
        names=np.array([2, 0, 1]),
        has_number=np.array([1.0, 0.0, 0.0]),
        age_days=np.array([1.0, 400.0, math.nan]),
    )
    args.update(over)
    x = features(kind, **args)
    assert x.shape == (n, len(FEATURES))
    return {f: x[:, i] for i, f in enumerate(FEATURES)}


def test_features_normalise_bm25_and_take_the_articles_best_evidence():
    f = _features(question_kind("Which company cut its stores' air conditioning?"))
    assert f["bm25"].tolist() == [1.0, 0.0, 0.5]
    assert f["bm25_rank"][1] == 0.0  # not matched by BM25: no rank evidence
    assert f["article_passage_cos"].tolist() == [0.5, 0.5, 0.3]  # articles 7, 7, 9
    assert f["article_bm25"].tolist() == [1.0, 1.0, 0.5]
    assert f["lead"].tolist() == [1.0, 0.125, 0.5]
    assert f["length"].tolist() == [0.6, 1.5, 0.4]
    assert f["names_for_which"].tolist() == f["names"].tolist()
    assert f["number_for_quantity"].tolist() == [0.0, 0.0, 0.0]  # not a quantity question


def test_recency_is_soft_and_unknown_dates_carry_none():
    f = _features(question_kind("How many people attended?"))
    assert f["number_for_quantity"].tolist() == [1.0, 0.0, 0.0]
    assert 0.9 < f["recent_2w"][0] < 1.0 and f["recent_2w"][1] < 1e-6
    assert f["recent_2w"][2] == 0.0 and f["recent_3m"][2] == 0.0  # undated
    # Dated a little after "as of" (time zones) still counts; well after does not.
    g = _features(question_kind("x"), age_days=np.array([-1.0, -30.0, 0.0]))
    assert g["recent_2w"].tolist() == [1.0, 0.0, 1.0]


def test_novel_names_ignores_what_the_question_already_says():
    kind = question_kind("Which company did Amazon buy in July?")
    text = "Amazon said it would buy iRobot for $1.7 billion. The Roomba maker agreed in July."
    # Amazon and July are in the question; iRobot, 1.7 and Roomba are new.
    assert novel_names(text, kind) == 3


def test_a_number_or_a_date_answers_how_many_and_when():
    assert has_number("It costs $4 billion.") and has_number("He may visit in October.")
    assert not has_number("They may visit soon.")
    assert question_kind("When might Putin visit Beijing?").asks_quantity
    assert not question_kind("Who did Shoigu meet?").asks_quantity


def test_age_in_days():
    from datetime import date

    day = date(2022, 7, 15).toordinal()
    assert age_in_days("2022-07-01", day) == 14.0
    assert math.isnan(age_in_days("", day))
    assert math.isnan(age_in_days("2022-07-01", None))
    assert math.isnan(age_in_days("not a date", day))


def test_shipped_weights_cover_every_feature_and_rank():
    fusion = shipped()
    assert fusion.weights.shape == (len(FEATURES),)
    assert np.isfinite(fusion.weights).all() and np.abs(fusion.weights).sum() > 0
    assert Fusion.from_dict(fusion.to_dict()).weights == pytest.approx(fusion.weights, abs=1e-4)
    # More evidence everywhere ranks higher: the fitted weights of the cosines are positive.
    assert fusion.weights[FEATURES.index("sentence_cos")] > 0


def test_unknown_or_bad_weights_are_refused():
    with pytest.raises(ValueError, match="unknown features: nope"):
        Fusion.from_dict({"weights": {"nope": 1.0}})
    with pytest.raises(ValueError, match="finite"):
        Fusion.from_dict({"weights": {"bm25": float("nan")}})


def test_a_possessive_is_the_same_name():
    kind = question_kind("Who is Wang Yi's Russian counterpart?")
    assert novel_names("Wang Yi met Sergei Lavrov, Wang’s counterpart.", kind) == 2


def test_the_day_asked_prefers_the_story_of_that_time(engine_factory, tmp_path):
    from datetime import date

    folder = tmp_path / "news"
    folder.mkdir()
    for day, place in (("2024-01-10", "Ashby"), ("2024-06-10", "Fenwick")):
        (folder / f"{place}.md").write_text(
            f"---\ntitle: Floods close the valley road\ndate: {day}\n---\n"
            f"Floods closed the valley road near {place} on Monday, the council said. "
            "Crews expect to reopen it within a week.\n"
        )
    engine = engine_factory([folder])
    q = "Where did floods close the valley road?"
    first = {
        d: engine.ask(q, as_of=date.fromisoformat(d)).hits[0].citation.published
        for d in ("2024-01-12", "2024-06-12")
    }
    assert first == {"2024-01-12": "2024-01-10", "2024-06-12": "2024-06-10"}


def test_sentence_coverage_finds_the_sentence_holding_the_rare_terms():
    terms = QueryTerms({"detain": 3.0, "griner": 5.0, "court": 1.0, "us": 1.0})
    text = "A Russian court met. Griner was DETAINED again. Users left."
    spans = [(0, 20), (21, 47), (48, 59)]
    # "detain" is a word prefix of "detained", whatever the case; "us" is too short to
    # count inside "Users"; the best sentence holds griner and detain, 8 of 10.
    assert sentence_coverage(text, spans, terms) == pytest.approx(0.8)
    assert sentence_coverage(text, [], terms) == pytest.approx(0.9)  # no spans: one sentence
    assert sentence_coverage(text, spans, QueryTerms({})) == 0.0
    # "İ" lower-cases to two characters: the offsets must still be the text's own.
    odd = "İstanbul court. Griner detained."
    assert sentence_coverage(odd, [(0, 15), (16, 32)], terms) == pytest.approx(0.8)

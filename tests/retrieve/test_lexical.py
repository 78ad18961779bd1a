"""BM25: our scoring and top-k give exactly what bm25s's own scoring and a full sort give."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.retrieve.lexical import Lexical, tokenize, top_k

WORDS = ["flood", "valley", "minister", "beijing", "talks", "storm", "court", "election",
         "rain", "evacuated", "prices", "deal", "ukraine", "summit", "wang", "shoigu"]  # fmt: skip

texts = st.lists(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(texts, st.lists(st.sampled_from(WORDS), min_size=1, max_size=5), st.integers(1, 60))
def test_search_matches_bm25s_scoring_and_a_full_sort(docs, query_words, k):
    ids = np.arange(100, 100 + len(docs), dtype=np.int64)
    lex = Lexical.build(ids, docs)
    query = " ".join(query_words)  # repeated words count twice, as in bm25s
    got_ids, got_scores = lex.search(query, k)
    tokens = [t for t in tokenize([query])[0] if t in lex.retriever.vocab_dict]
    want = lex.retriever.get_scores(tokens) if tokens else np.zeros(len(docs))
    want_sorted = np.sort(want[want > 0])[::-1][:k]
    assert np.allclose(got_scores, want_sorted, rtol=1e-5)
    assert np.allclose(want[got_ids - 100], got_scores, rtol=1e-5)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.25]), min_size=1, max_size=3000)
    | st.lists(st.floats(0, 50, width=32), min_size=1, max_size=3000),
    st.integers(1, 40),
)
def test_top_k_is_exact_on_ties_zeros_and_large_arrays(values, k):
    scores = np.asarray(values, dtype=np.float32)
    k = min(k, len(scores))
    top = top_k(scores, k)
    assert len(top) == k == len(set(top.tolist()))
    assert np.array_equal(scores[top], np.sort(scores)[::-1][:k])  # the k largest, best first
    for a, b in pairwise(top):  # equal scores: lower index first
        assert scores[a] > scores[b] or a < b


def test_top_k_takes_the_sampled_threshold_path_and_stays_exact():
    rng = np.random.default_rng(7)
    scores = np.zeros(200_000, dtype=np.float32)
    hit = rng.choice(len(scores), 30_000, replace=False)
    scores[hit] = rng.gamma(2.0, 1.0, len(hit)).astype(np.float32)
    top = top_k(scores, 50)
    assert np.array_equal(scores[top], np.sort(scores)[::-1][:50])


def test_term_coverage_reads_the_index_columns():
    ids = np.array([10, 20, 30], dtype=np.int64)
    lex = Lexical.build(ids, ["ferry routes island", "ferry timetable", "harbour fees"])
    cov = lex.term_coverage(lex.term_idf("The ferry routes?"), np.array([10, 20, 30, 99]))
    # "the" is a stopword: the terms are ferri and rout; 99 is not in the index.
    assert cov.tolist() == [1.0, 0.5, 0.0, 0.0]
    assert lex.term_coverage(lex.term_idf("unseenword"), ids).tolist() == [0.0, 0.0, 0.0]
    assert lex.term_coverage(lex.term_idf("the"), ids).tolist() == [0.0, 0.0, 0.0]  # stopwords only


def test_term_idf_weighs_the_rarer_term_higher_and_an_unseen_one_highest():
    ids = np.array([10, 20, 30], dtype=np.int64)
    lex = Lexical.build(ids, ["ferry routes island", "ferry timetable", "harbour fees"])
    idf = lex.term_idf("The ferry routes to Atlantis?")
    assert set(idf) == {"ferri", "rout", "atlanti"}  # stemmed, stopwords dropped
    assert idf["atlanti"] > idf["rout"] > idf["ferri"] > 0
    assert Lexical.build(np.empty(0, np.int64), []).term_idf("ferry") == {
        "ferri": pytest.approx(0.693, abs=1e-3)
    }


def test_unseen_words_are_the_names_no_passage_holds():
    ids = np.array([10, 20], dtype=np.int64)
    lex = Lexical.build(ids, ["Ferries to Atlantis resume", "Harbour fees rise"])
    # matched as the search matches: "Ferry" stems like "Ferries"; "The" is a stopword
    assert lex.unseen(["Ferry", "Atlantis", "Freya", "The", "Ofcom"]) == ["Freya", "Ofcom"]
    assert lex.unseen([]) == []
    assert Lexical.build(np.empty(0, np.int64), []).unseen(["Ferry"]) == ["Ferry"]

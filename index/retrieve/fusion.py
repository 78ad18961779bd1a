"""Learned fusion: one linear score over a candidate passage's evidence.

The hybrid search ranks its candidates (dense top-n plus BM25 top-n) by `weights @
features`. The weights are data (`index/data/fusion.json`), fitted on the development set
by `bench/train_fusion.py` with the two months as folds; the features are pure functions
of what the search already has: cosines, BM25 scores, the article's best evidence among
the candidates, the passage's place in its article, whether it names something the
question does not (the answer usually is a name or a number the question lacks), and how
recent its article is relative to the question's "as of" day.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from dataclasses import dataclass
from datetime import date

import numpy as np

from .weights import read_weights, shipped_data, weights_dict

FEATURES = (
    "passage_cos",  # question vs the passage vector
    "sentence_cos",  # question vs the passage's best sentence
    "bm25",  # BM25 score / the best among the candidates (0 when not matched)
    "article_passage_cos",  # the best passage_cos of the passage's article
    "article_sentence_cos",
    "article_bm25",
    "lead",  # 0.5 ** position in the article: news puts the answer first
    "length",  # words / 100, capped at 1.5
    "coverage",  # share of the question's BM25 terms in the passage (its title included)
    "sentence_coverage",  # IDF-weighted share of them in the passage's best sentence
    "dense_rank",  # 1 / (1 + rank / 5) by passage_cos among the candidates
    "bm25_rank",  # the same by BM25 (0 when not matched)
    "names",  # log(1 + names and numbers in the passage that the question lacks)
    "names_for_which",  # the same, for which/who/what questions
    "number_for_quantity",  # the passage has a number or date; the question asks for one
    "recent_2w",  # exp(-age / 14 days) of the article on the "as of" day (0 if undated)
    "recent_3m",  # exp(-age / 90 days)
)

# A word with a capital (iPhone, NASA) not at a sentence start, or a number: a cheap
# stand-in for the named entities a quiz answer is made of.
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b(\w*[A-Z][\w&'’-]*|\d(?:[\d,.]*\d)?)")
_TOKEN = re.compile(r"\w[\w&'’-]*")
_WHICH = ("which", "who", "what", "whom", "name")
_QUANTITY = ("how many", "how much", "what year", "percent", "approximately", "how old", "when")
_NUMBER = re.compile(
    r"\d|\b(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December)\b"
)
_FUTURE_SLACK_DAYS = 3  # an article dated just after "as of" (time zones) still counts
# Features that scan the passage text (the costliest per candidate). When their weights are
# not negative they only add to a score, so the ranking fills them in for the LATE_TOP
# best candidates by everything else and leaves 0 for the rest, which rank below anyway
# (measured by fold: 15, 20 or 40 give the same figures as scanning every candidate; 20 is
# twice the 10 hits eval reads).
LATE = ("names", "names_for_which", "number_for_quantity", "sentence_coverage")
LATE_TOP = 20


@dataclass(frozen=True, slots=True)
class QuestionKind:
    tokens: frozenset[str]  # lower-cased words, without possessives
    asks_which: bool
    asks_quantity: bool


def _bare(word: str) -> str:
    """Lower-cased, without a possessive 's (Wang Yi's -> wang yi)."""
    word = word.lower().replace("’", "'")
    return word[:-2] if word.endswith("'s") else word


def question_kind(question: str) -> QuestionKind:
    low = question.lower()
    tokens = frozenset(_bare(w) for w in _TOKEN.findall(question))
    return QuestionKind(tokens, any(w in low for w in _WHICH), any(w in low for w in _QUANTITY))


def novel_names(text: str, kind: QuestionKind) -> int:
    """Distinct names and numbers in `text` that the question does not contain."""
    return len({_bare(m) for m in _NAME.findall(text)} - kind.tokens)


@dataclass(frozen=True)
class QueryTerms:
    """The question's BM25 terms (stems) with their IDF, found in text as word prefixes
    (stem "detain" in "detained"): cheaper than stemming every candidate sentence, and the
    same function serves training and search."""

    idf: dict[str, float]

    def found(self, text: str) -> list[tuple[int, str]]:
        """(offset in `text`, stem) of each occurrence at a word start; a stem of three
        letters or fewer (us, un) counts as a whole word only, or it matches everywhere."""
        low = text.lower()
        if len(low) != len(text):  # a letter whose lower case is longer: keep offsets
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        out = []
        for stem in self.idf:
            if not stem:
                continue
            i = low.find(stem)
            while i >= 0:
                end = i + len(stem)
                if (i == 0 or not low[i - 1].isalnum()) and (
                    len(stem) > 3 or end == len(low) or not low[end].isalnum()
                ):
                    out.append((i, stem))
                i = low.find(stem, i + 1)
        return out


def sentence_coverage(text: str, spans: list[tuple[int, int]], terms: QueryTerms) -> float:
    """The most of the question's IDF mass that one sentence of `text` holds (0..1).

    The sentence that answers a quiz question usually repeats its rarest words; the
    passage-wide coverage cannot tell that sentence from terms scattered over four."""
    total = sum(terms.idf.values())
    if total <= 0:
        return 0.0
    spans = spans or [(0, len(text))]
    found: list[set[str]] = [set() for _ in spans]
    starts = [a for a, _ in spans]
    for at, stem in terms.found(text):
        i = bisect.bisect_right(starts, at) - 1
        if i >= 0 and at < spans[i][1]:
            found[i].add(stem)
    return max(sum(terms.idf[t] for t in f) for f in found) / total


def late_features_only_add(weights: np.ndarray) -> bool:
    return all(weights[FEATURES.index(f)] >= 0 for f in LATE)


def has_number(text: str) -> bool:
    """A digit or a month name: what a how-many or when question is answered with."""
    return _NUMBER.search(text) is not None


def _rank_feature(scores: np.ndarray, matched: np.ndarray) -> np.ndarray:
    rank = np.empty(len(scores))
    rank[np.argsort(-scores, kind="stable")] = np.arange(len(scores))
    return np.where(matched, 1.0 / (1.0 + rank / 5.0), 0.0)


def _article_max(values: np.ndarray, article: np.ndarray) -> np.ndarray:
    _, inv = np.unique(article, return_inverse=True)
    best = np.full(inv.max() + 1 if len(inv) else 0, -np.inf)
    np.maximum.at(best, inv, values)
    return best[inv]


def features(
    kind: QuestionKind,
    passage_cos: np.ndarray,
    sentence_cos: np.ndarray,
    bm25: np.ndarray,
    article: np.ndarray,
    order: np.ndarray,
    words: np.ndarray,
    coverage: np.ndarray,
    sentence_coverage: np.ndarray,
    names: np.ndarray,
    has_number: np.ndarray,
    age_days: np.ndarray,
) -> np.ndarray:
    """The (n, len(FEATURES)) matrix for n candidates of one question.

    `bm25` holds raw scores (0 = not matched), `article` the candidates' article ids,
    `order` their position in the article, `age_days` the days from the article's date to
    the "as of" day (NaN when either is unknown).
    """
    top = float(bm25.max()) if len(bm25) else 0.0
    bn = bm25 / top if top > 0 else np.zeros_like(bm25, dtype=float)
    age = np.nan_to_num(age_days, nan=-1e9)  # unknown: no recency evidence
    dated = age > -_FUTURE_SLACK_DAYS
    age = np.clip(age, 0, None)
    late = late_columns(kind, sentence_coverage, names, has_number)
    return np.column_stack(
        [
            passage_cos,
            sentence_cos,
            bn,
            _article_max(passage_cos, article),
            _article_max(sentence_cos, article),
            _article_max(bn, article),
            0.5 ** np.asarray(order, dtype=float),
            np.minimum(words, 150) / 100.0,
            coverage,
            late["sentence_coverage"],
            _rank_feature(passage_cos, np.ones(len(passage_cos), bool)),
            _rank_feature(bm25, bm25 > 0),
            late["names"],
            late["names_for_which"],
            late["number_for_quantity"],
            np.where(dated, np.exp(-age / 14.0), 0.0),
            np.where(dated, np.exp(-age / 90.0), 0.0),
        ]
    ).astype(np.float64)


def late_columns(
    kind: QuestionKind, sentence_coverage: np.ndarray, names: np.ndarray, has_number: np.ndarray
) -> dict[str, np.ndarray]:
    """The LATE features' columns from the text scans' results (see `features`)."""
    names_f = np.log1p(names)
    return {
        "sentence_coverage": np.asarray(sentence_coverage, dtype=float),
        "names": names_f,
        "names_for_which": names_f * kind.asks_which,
        "number_for_quantity": has_number * float(kind.asks_quantity),
    }


@dataclass(frozen=True)
class Fusion:
    """Weights over FEATURES; `score(X)` ranks the candidates, higher first."""

    weights: np.ndarray

    def score(self, x: np.ndarray) -> np.ndarray:
        return x @ self.weights

    @classmethod
    def from_dict(cls, data: dict) -> Fusion:
        return cls(read_weights(data, FEATURES, "fusion"))

    def to_dict(self) -> dict:
        return weights_dict(self.weights, FEATURES)


def shipped() -> Fusion:
    """The weights shipped in the package (index/data/fusion.json)."""
    return Fusion.from_dict(shipped_data("fusion.json"))


def age_in_days(published: str, as_of_ordinal: int | None) -> float:
    """Days from an ISO `published` date to the "as of" day (NaN when either is unknown)."""
    if as_of_ordinal is None or len(published) < 10:
        return math.nan
    day = _day(published[:10])
    return math.nan if day is None else float(as_of_ordinal - day)


@functools.lru_cache(maxsize=65536)
def _day(iso: str) -> int | None:
    """The ordinal of an ISO day (the same articles' dates recur in every question)."""
    try:
        return date.fromisoformat(iso).toordinal()
    except ValueError:
        return None

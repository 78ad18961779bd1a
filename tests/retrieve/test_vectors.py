"""FAISS: exact below the configured size, approximate above it with recall kept, filters,
and memory close to the raw vectors."""

from __future__ import annotations

import numpy as np
import pytest

from index.retrieve import vectors


def _data(n: int = 6000, dim: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Clustered vectors (a few hundred centres plus noise) and unrelated query vectors."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((300, dim)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    return _mixtures(base, n, rng), _mixtures(base, 100, rng)


def _mixtures(base: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, dim) normalised: a centre, plus a little of another, plus noise."""
    a = base[rng.integers(0, len(base), n)]
    b = base[rng.integers(0, len(base), n)]
    w = rng.uniform(0.0, 0.6, (n, 1)).astype(np.float32)
    v = a + w * b + rng.standard_normal(a.shape).astype(np.float32) * 0.5 / np.sqrt(a.shape[1])
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize(
    ("approximate", "dtype", "kind"),
    [("ivf", "float32", "IndexIVFFlat"), ("ivf", "float16", "IndexIVFScalarQuantizer"),
     ("hnsw", "float32", "IndexHNSWFlat"), ("hnsw", "float16", "IndexHNSWSQ")],
)  # fmt: skip
def test_approximate_index_recall(tmp_path, approximate, dtype, kind):
    vecs, queries = _data()
    ids = np.arange(len(vecs), dtype=np.int64) * 3 + 7  # passage ids are not row numbers
    index = vectors.make_index(vecs, ids, exact_max=1000, dtype=dtype, approximate=approximate)
    assert kind in vectors.describe(index)
    vectors.write_index(index, tmp_path / "v.faiss")
    index = vectors.read_index(tmp_path / "v.faiss", expected=len(vecs))
    got = vectors.search(index, queries, 10).ids
    exact = ids[vectors.exact_top(vecs, queries, 10)]
    assert vectors.recall_against(got, exact) >= 0.95


def test_small_corpus_stays_exact():
    vecs, queries = _data(800)
    index = vectors.make_index(vecs, np.arange(800), exact_max=1000)
    assert vectors.describe(index) == "IndexFlatIP"
    got = vectors.search(index, queries, 10).ids
    assert vectors.recall_against(got, vectors.exact_top(vecs, queries, 10)) == 1.0


@pytest.mark.parametrize("approximate", ["ivf", "hnsw"])
def test_filtered_search_finds_the_allowed_best(approximate):
    vecs, queries = _data()
    ids = np.arange(len(vecs), dtype=np.int64)
    index = vectors.make_index(vecs, ids, exact_max=1000, approximate=approximate)
    allowed = np.random.default_rng(3).choice(len(vecs), 60, replace=False)
    got = vectors.search(index, queries, 10, allowed).ids
    assert np.isin(got[got >= 0], allowed).all()
    exact = allowed[vectors.exact_top(vecs[allowed], queries, 10)]
    assert vectors.recall_against(got, exact) >= 0.95


def test_ivf_memory_is_about_the_raw_vectors():
    vecs, _ = _data(20_000)
    raw = vecs.nbytes
    f32 = vectors.make_index(vecs, np.arange(len(vecs)), exact_max=1000)
    f16 = vectors.make_index(vecs, np.arange(len(vecs)), exact_max=1000, dtype="float16")
    import faiss

    assert len(faiss.serialize_index(f32)) <= 1.2 * raw
    assert len(faiss.serialize_index(f16)) <= 0.7 * raw

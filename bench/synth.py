"""Index sizes beyond the real corpus: synthetic vectors, data directories the engine can
serve, and recall@k of the index used against exact search.

Synthetic vectors are realistic rather than uniform: each is a real passage (or sentence)
vector plus a share of another real one plus Gaussian noise, normalised, so they lie
where news text lies in the model's space (uniform random 384-d vectors have no
neighbourhood structure and make every approximate index look far worse than it is).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import faiss
import numpy as np

from index import store
from index.build import vector_index
from index.config import Config
from index.retrieve import vectors
from index.retrieve.lexical import Lexical, tokenize

NOISE = 0.5  # norm of the Gaussian noise relative to the (unit) real vector
MIX = 0.6  # at most this share of a second real vector is mixed in


def synthetic_vectors(base: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """(n, dim) float32 normalised; rows beyond len(base) are mixtures of real vectors."""
    rng = np.random.default_rng(seed)
    dim = base.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    k = min(n, len(base))
    out[:k] = base[:k]
    for lo in range(k, n, 100_000):
        m = min(n, lo + 100_000) - lo
        a = base[rng.integers(0, len(base), m)]
        b = base[rng.integers(0, len(base), m)]
        w = rng.uniform(0.0, MIX, (m, 1)).astype(np.float32)
        noise = rng.standard_normal((m, dim), dtype=np.float32) * np.float32(NOISE / np.sqrt(dim))
        v = a + w * b + noise
        out[lo : lo + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def search_ms(index: faiss.Index, queries: np.ndarray, k: int) -> list[float]:
    """Per-query search times (ms), one query at a time as the engine runs them."""
    out = []
    for q in queries:
        t0 = time.perf_counter()
        vectors.search(index, q[None, :], k)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def set_ids(index: faiss.Index, ids: np.ndarray) -> None:
    """Replace the ids of an index built with ids = row numbers: row i gets ids[i]."""
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    if isinstance(index, faiss.IndexIDMap):
        faiss.copy_array_to_vector(ids, index.id_map)
        if isinstance(index, faiss.IndexIDMap2):
            index.construct_rev_map()
        return
    ivf = faiss.extract_index_ivf(index)
    inv = ivf.invlists
    for cell in range(ivf.nlist):
        size = inv.list_size(cell)
        if not size:
            continue
        rows = faiss.rev_swig_ptr(inv.get_ids(cell), size).copy()
        codes = faiss.rev_swig_ptr(inv.get_codes(cell), size * inv.code_size).copy()
        inv.update_entries(cell, 0, size, faiss.swig_ptr(ids[rows]), faiss.swig_ptr(codes))


def sized_data_dir(
    real_dir: Path, dest: Path, index: faiss.Index, n: int, tokens: list[list[str]]
) -> Path:
    """A data directory serving `index` (n vectors) over the real passages of `real_dir`.

    Row i of the index and of the BM25 index points at real passage i mod n_real, so every
    hit resolves to a stored passage; the SQLite database is the real one, copied.
    """
    dest.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(real_dir / store.DB_NAME)
    dst = sqlite3.connect(dest / store.DB_NAME)
    src.backup(dst)
    src.close()
    gen = store.current_generation(dst)
    real_ids, _ = store.live_texts(dst, gen)
    dst.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('passages', ?)", (str(n),))
    dst.commit()
    dst.close()
    rows = np.arange(n) % len(real_ids)
    gdir = store.gen_dir(dest, gen)
    gdir.mkdir(parents=True, exist_ok=True)
    set_ids(index, real_ids[rows])
    vectors.write_index(index, gdir / "vectors.faiss")
    lexical = Lexical.build(np.empty(0, np.int64), [])
    lexical.retriever.index([tokens[i] for i in rows], show_progress=False)
    lexical.ids = real_ids[rows]
    lexical.save(gdir / "bm25")
    return dest


def real_tokens(real_dir: Path) -> list[list[str]]:
    """BM25 tokens of the real passages ('title + passage'), in id order."""
    conn = store.connect(real_dir, readonly=True)
    try:
        _, texts = store.live_texts(conn, store.current_generation(conn))
    finally:
        conn.close()
    return tokenize(texts)


def real_vectors(real_dir: Path, dim: int) -> np.ndarray:
    """Passage and sentence vectors of a built index, (n, dim) float32 normalised."""
    conn = store.connect(real_dir, readonly=True)
    try:
        _, pv = store.live_vectors(conn, store.current_generation(conn), dim)
        svs = [
            np.frombuffer(r[0], np.float16)
            for r in conn.execute("SELECT sentence_vectors FROM passages")
        ]
    finally:
        conn.close()
    sv = np.concatenate(svs).reshape(-1, dim).astype(np.float32) if svs else np.zeros((0, dim))
    base = np.concatenate([pv, sv]).astype(np.float32)
    return base / np.maximum(np.linalg.norm(base, axis=1, keepdims=True), 1e-12)


def make_sized_index(vecs: np.ndarray, config: Config) -> tuple[faiss.Index, float]:
    """The index a build would make for `vecs` (ids = row numbers) and its build seconds."""
    t0 = time.perf_counter()
    index = vector_index(config, vecs, np.arange(len(vecs), dtype=np.int64))
    return index, time.perf_counter() - t0

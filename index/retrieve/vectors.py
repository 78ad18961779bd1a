"""FAISS index construction, I/O and search. Vectors in: float32, L2-normalised, (n, dim).

Up to `exact_max` vectors: exact inner-product search (flat, id-mapped). Above it an
approximate index, by default an inverted file (IVF): k-means cells, `nprobe` of them
scanned per query. It keeps recall@10 near exact at a few ms per query, stores about the
raw vectors' size (ids inline, no graph) and builds far faster than HNSW, which matters
because every index generation is rebuilt whole (figures: bench/README.md). HNSW stays available (`approximate="hnsw"`).
Ids are passage ids (int64). float16/int8 storage uses FAISS's scalar quantizer.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np

from ..config import IndexConfig
from ..errors import IndexCorruptError
from .ranking import Ranked

_DEFAULTS = IndexConfig()

_SQ = {"float16": faiss.ScalarQuantizer.QT_fp16, "int8": faiss.ScalarQuantizer.QT_8bit}
_METRIC = faiss.METRIC_INNER_PRODUCT
TRAIN_PER_CELL = 40  # k-means sample: this many vectors per IVF cell (FAISS wants >= 39)


def ivf_cells(n: int) -> int:
    """Number of IVF cells for `n` vectors: about sqrt(n), so cells hold ~sqrt(n) each."""
    return max(1, min(65_536, round(math.sqrt(n))))


def ivf_probes(nlist: int) -> int:
    """Cells scanned per query. With ~sqrt(n) cells recall follows the number of probes,
    not their share; 64 keeps recall@10 near exact from 50k to 1M vectors (bench/README.md)."""
    return min(nlist, 64)


def make_index(
    vectors: np.ndarray,
    ids: np.ndarray,
    *,
    exact_max: int = _DEFAULTS.exact_max_passages,
    dtype: str = _DEFAULTS.vector_dtype,
    hnsw_m: int = _DEFAULTS.hnsw_m,
    hnsw_ef_search: int = _DEFAULTS.hnsw_ef_search,
    approximate: str = _DEFAULTS.approximate,
    nprobe: int | None = None,
    hnsw_ef_construction: int = 80,
) -> faiss.Index:
    """Build an inner-product index over `vectors` (n, dim) float32 with `ids` (n,) int64.

    `approximate` ("ivf" or "hnsw") is used above `exact_max` vectors; `nprobe` (IVF)
    defaults to ivf_probes(cells), `hnsw_*` apply to HNSW only.
    """
    n, dim = vectors.shape if vectors.ndim == 2 else (0, vectors.shape[-1])
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    if n > exact_max and approximate == "ivf":
        nlist = ivf_cells(n)
        quantizer = faiss.IndexFlatIP(dim)
        if dtype == "float32":
            index = faiss.IndexIVFFlat(quantizer, dim, nlist, _METRIC)
        else:
            index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, _SQ[dtype], _METRIC)
        index.cp.niter = 10
        index.cp.seed = 1234
        sample = min(n, TRAIN_PER_CELL * nlist)
        rows = np.random.default_rng(0).choice(n, sample, replace=False) if sample < n else None
        index.train(vectors if rows is None else vectors[np.sort(rows)])
        index.nprobe = nprobe or ivf_probes(nlist)
        index.add_with_ids(vectors, ids)
        return index
    if n > exact_max and approximate == "hnsw":
        if dtype == "float32":
            base = faiss.IndexHNSWFlat(dim, hnsw_m, _METRIC)
        else:
            base = faiss.IndexHNSWSQ(dim, _SQ[dtype], hnsw_m, _METRIC)
        base.hnsw.efConstruction = hnsw_ef_construction
        base.hnsw.efSearch = hnsw_ef_search
    elif n > exact_max:
        raise ValueError(f"approximate index must be 'ivf' or 'hnsw', got {approximate!r}")
    elif dtype == "float32":
        base = faiss.IndexFlatIP(dim)
    else:
        base = faiss.IndexScalarQuantizer(dim, _SQ[dtype], _METRIC)
    index = faiss.IndexIDMap(base)
    if not index.is_trained:
        index.train(vectors)
    if n:
        index.add_with_ids(vectors, ids)
    return index


def write_index(index: faiss.Index, path: Path) -> None:
    """Write and fsync, so a crash right after never leaves a torn file under `path`."""
    tmp = path.with_suffix(".tmp")
    faiss.write_index(index, str(tmp))
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_index(path: Path, expected: int | None = None) -> faiss.Index:
    try:
        index = faiss.read_index(str(path))
    except Exception as exc:  # FAISS raises RuntimeError with C++ text
        raise IndexCorruptError(
            f"vector index {path} is unreadable: {str(exc).splitlines()[0]}"
        ) from None
    if expected is not None and index.ntotal != expected:
        raise IndexCorruptError(
            f"vector index {path} holds {index.ntotal} vectors, the database {expected}"
        )
    return index


def inner(index: faiss.Index) -> faiss.Index:
    """The index that holds the vectors: the one inside an id map, else `index` itself."""
    return faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap) else index


def describe(index: faiss.Index) -> str:
    """Short name of the index kind, e.g. 'IndexIVFFlat(nlist=1000, nprobe=62)'."""
    base = inner(index)
    name = type(base).__name__
    if hasattr(base, "nprobe"):
        return f"{name}(nlist={base.nlist}, nprobe={base.nprobe})"
    if hasattr(base, "hnsw"):
        return f"{name}(M={base.hnsw.nb_neighbors(1)}, efSearch={base.hnsw.efSearch})"
    return name


def set_ef_search(index: faiss.Index, ef: int) -> None:
    """Set HNSW's efSearch (no effect on flat or IVF indexes, whose nprobe is in the file)."""
    base = inner(index)
    if hasattr(base, "hnsw"):
        base.hnsw.efSearch = ef


@contextmanager
def _one_thread() -> Iterator[None]:
    """One OpenMP thread for this Python thread only (OpenMP's setting is per thread).

    A single query gains nothing from threads, and on a busy machine waking them costs
    far more than the search itself (bench/README.md).
    """
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def search(
    index: faiss.Index, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
) -> Ranked:
    """Top-k (ids, scores), each (nq, k); ids -1 where fewer match. `allowed` limits ids.

    With a filter, an approximate index widens its search (nprobe / efSearch) by the share
    of ids filtered out, so a selective filter still finds its k best allowed vectors.
    """
    params = None
    if allowed is not None:
        sel = faiss.IDSelectorBatch(allowed.astype(np.int64))
        base = inner(index)
        widen = index.ntotal / max(len(allowed), 1)
        if hasattr(base, "nprobe"):
            nprobe = min(base.nlist, math.ceil(base.nprobe * widen))
            params = faiss.SearchParametersIVF(sel=sel, nprobe=nprobe)
        elif hasattr(base, "hnsw"):
            ef = min(max(index.ntotal, 1), math.ceil(base.hnsw.efSearch * widen))
            params = faiss.SearchParametersHNSW(sel=sel, efSearch=ef)
        else:
            params = faiss.SearchParameters(sel=sel)
    k = max(1, min(k, index.ntotal)) if index.ntotal else 1
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    if len(queries) >= 20:  # batches: FAISS switches to BLAS, threads pay off
        scores, ids = index.search(queries, k, params=params)
    else:
        with _one_thread():
            scores, ids = index.search(queries, k, params=params)
    return Ranked(ids, scores)


def exact_top(vecs: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Row numbers of the exact top-k of `vecs` (n, dim) by inner product, (nq, k)."""
    _, idx = faiss.knn(np.ascontiguousarray(queries, dtype=np.float32), vecs, k, metric=_METRIC)
    return idx


def recall_against(approx: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of the exact top-k found in the approximate top-k (both (nq, k))."""
    k = exact.shape[1]
    return float(np.mean([len(set(a) & set(e)) / k for a, e in zip(approx, exact, strict=True)]))

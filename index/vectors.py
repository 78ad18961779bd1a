"""FAISS index construction and I/O. Vectors in: float32, L2-normalised, shape (n, dim).

Small corpora get exact inner-product search; above `exact_max_passages` an HNSW graph
(recall@10 against exact checked by the benchmark). Ids are passage ids (int64).
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

from .errors import IndexCorruptError

_SQ = {"float16": faiss.ScalarQuantizer.QT_fp16, "int8": faiss.ScalarQuantizer.QT_8bit}


def make_index(
    vectors: np.ndarray,
    ids: np.ndarray,
    *,
    exact_max: int = 200_000,
    dtype: str = "float32",
    hnsw_m: int = 32,
    hnsw_ef_search: int = 128,
) -> faiss.Index:
    """Build an id-mapped inner-product index over `vectors` (n, dim) float32."""
    n, dim = vectors.shape if vectors.ndim == 2 else (0, vectors.shape[-1])
    metric = faiss.METRIC_INNER_PRODUCT
    if n <= exact_max:
        base = (
            faiss.IndexFlatIP(dim)
            if dtype == "float32"
            else faiss.IndexScalarQuantizer(dim, _SQ[dtype], metric)
        )
    else:
        if dtype == "float32":
            base = faiss.IndexHNSWFlat(dim, hnsw_m, metric)
        else:
            base = faiss.IndexHNSWSQ(dim, _SQ[dtype], hnsw_m, metric)
        base.hnsw.efConstruction = 80
        base.hnsw.efSearch = hnsw_ef_search
    index = faiss.IndexIDMap2(base)
    if not index.is_trained:
        index.train(vectors)
    if n:
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))
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


def set_ef_search(index: faiss.Index, ef: int) -> None:
    base = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap2) else index
    if hasattr(base, "hnsw"):
        base.hnsw.efSearch = ef


def search(
    index: faiss.Index, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, ids), each (nq, k); ids -1 where fewer match. `allowed` limits ids."""
    params = None
    if allowed is not None:
        sel = faiss.IDSelectorBatch(allowed.astype(np.int64))
        base = faiss.downcast_index(index.index)
        params = (
            faiss.SearchParametersHNSW(sel=sel, efSearch=base.hnsw.efSearch)
            if hasattr(base, "hnsw")
            else faiss.SearchParameters(sel=sel)
        )
    k = max(1, min(k, index.ntotal)) if index.ntotal else 1
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), k, params=params)

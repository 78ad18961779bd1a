"""The benchmark keeps working, the approximate indexes keep their recall, and the fast
embedding path keeps giving the plain sentence-transformers vectors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.config import SAMPLE_CORPUS
from index.retrieve import vectors

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import synth  # noqa: E402


def test_quick_bench_on_tiny_corpus(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [
            sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--no-onnx",
            "--corpus", str(SAMPLE_CORPUS), "--sizes", "2000", "--exact-max", "1000",
            "--synthetic-articles", "40", "--json", str(out),
        ],
        capture_output=True, text=True, cwd=ROOT, timeout=240, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    tp = res["throughput"]
    assert tp["passages"] > 0 and tp["raw_encode_passages_per_s"] > 0
    for mode in ("contextual", "standalone"):
        assert tp[f"build_{mode}"]["passages_embedded"] == tp["passages"]
        assert tp[f"build_{mode}"]["ratio_vs_raw"] > 0
    assert tp["sentences"] > tp["passages"]
    assert tp["build_standalone"]["ratio_vs_raw_same_inputs"] > 0
    assert tp["rebuild_no_change"]["passages_embedded"] == 0
    assert res["rebuild_synthetic"]["articles"] == 40
    assert res["rebuild_synthetic"]["passages_embedded"] == 0
    (size,) = res["sizes"]
    assert size["passages"] == 2000 and size["index"].startswith("IndexIVF")
    assert size["recall@10"] >= 0.9
    lat = size["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"]
    assert size["startup_s"] > 0 and size["rss_bytes"] > 0
    assert 0.9 < size["index_vs_raw"] < 1.2
    assert any(t["target"] == "H100 build throughput" for t in res["targets"])
    assert "Targets" in proc.stdout


def _data(n: int = 6000, dim: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Clustered vectors (a few hundred centres plus noise) and unrelated query vectors."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((300, dim)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    vecs = synth.synthetic_vectors(base, n, seed=seed)
    queries = synth.synthetic_vectors(base, 400, seed=seed + 1)[300:]
    return vecs, queries


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
    exact = ids[synth.exact_top(vecs, queries, 10)]
    assert synth.recall(got, exact) >= 0.95


def test_small_corpus_stays_exact():
    vecs, queries = _data(800)
    index = vectors.make_index(vecs, np.arange(800), exact_max=1000)
    assert vectors.describe(index) == "IndexFlatIP"
    got = vectors.search(index, queries, 10).ids
    assert synth.recall(got, synth.exact_top(vecs, queries, 10)) == 1.0


@pytest.mark.parametrize("approximate", ["ivf", "hnsw"])
def test_filtered_search_finds_the_allowed_best(approximate):
    vecs, queries = _data()
    ids = np.arange(len(vecs), dtype=np.int64)
    index = vectors.make_index(vecs, ids, exact_max=1000, approximate=approximate)
    allowed = np.random.default_rng(3).choice(len(vecs), 60, replace=False)
    got = vectors.search(index, queries, 10, allowed).ids
    assert np.isin(got[got >= 0], allowed).all()
    exact = allowed[synth.exact_top(vecs[allowed], queries, 10)]
    assert synth.recall(got, exact) >= 0.95


def test_ivf_memory_is_about_the_raw_vectors():
    vecs, _ = _data(20_000)
    raw = vecs.nbytes
    f32 = vectors.make_index(vecs, np.arange(len(vecs)), exact_max=1000)
    f16 = vectors.make_index(vecs, np.arange(len(vecs)), exact_max=1000, dtype="float16")
    import faiss

    assert len(faiss.serialize_index(f32)) <= 1.2 * raw
    assert len(faiss.serialize_index(f16)) <= 0.7 * raw


def _reference_spans(hidden, offsets, spans):
    """The per-sentence pooling the fast path must reproduce (mean of the span's tokens)."""
    starts = np.array([a for a, _ in offsets])
    ends = np.array([b for _, b in offsets])
    real = ends > starts
    out = np.zeros((max(len(spans), 1), hidden.shape[-1]), dtype=np.float32)
    for j, (a, b) in enumerate(spans):
        sel = real & (starts >= a) & (ends <= b)
        out[j] = hidden[: len(starts)][sel if sel.any() else real].mean(0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def test_fast_embedding_equals_plain_sentence_transformers(embedder):
    import torch

    texts = [
        "Heavy rain flooded the valley. Residents were evacuated on Sunday.",
        "The minister met her counterpart in Beijing. They signed two agreements. " * 20,
        "A text with no sentence spans.",
    ] + [f"Passage {i} about the council budget vote." for i in range(70)]
    spans = [[(0, 29), (30, 66)], [(0, 45), (46, 73)], []] + [[(0, 40)]] * 70
    mode, budget = embedder.sentence_vectors, embedder.token_budget
    embedder.sentence_vectors = "contextual"
    try:
        enc = embedder.encode_passages(texts, spans)
        embedder.token_budget = 4096  # the CUDA path's token-budget batches, run on CPU
        big = embedder.encode_passages(texts, spans)
    finally:
        embedder.sentence_vectors, embedder.token_budget = mode, budget
    assert np.abs(big.vectors - enc.vectors).max() < 1e-5
    for a, b in zip(big.sentence_vectors, enc.sentence_vectors, strict=True):
        assert np.abs(a - b).max() < 1e-5
    plain = embedder.model.encode(texts, normalize_embeddings=True, show_progress_bar=False)
    assert np.abs(enc.vectors - plain).max() < 1e-5
    queries = ["Who met in Beijing?", "What flooded?"]
    plain_q = embedder.model.encode(queries, normalize_embeddings=True, show_progress_bar=False)
    assert np.abs(embedder.encode_queries(queries) - plain_q).max() < 1e-5

    tok = embedder.model.tokenizer
    for i in (0, 1, 2):
        t = tok([texts[i]], return_offsets_mapping=True, truncation=True,
                max_length=embedder.model.max_seq_length, return_tensors="pt")  # fmt: skip
        with torch.inference_mode():
            hidden = (
                embedder.model[0]
                .auto_model(input_ids=t["input_ids"], attention_mask=t["attention_mask"])
                .last_hidden_state[0]
            )
        want = _reference_spans(hidden.float().numpy(), t["offset_mapping"][0].tolist(), spans[i])
        assert enc.sentence_vectors[i].shape == want.shape
        assert np.abs(enc.sentence_vectors[i] - want).max() < 1e-5


def test_onnx_backend_gives_the_torch_vectors(embedder):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    from index.retrieve.model import Embedder

    ort = Embedder(sentence_vectors="contextual", backend="onnx")
    texts = ["Heavy rain flooded the valley. Residents were evacuated on Sunday."] * 3
    spans = [[(0, 29), (30, 66)]] * 3
    enc = ort.encode_passages(texts, spans)
    plain = embedder.model.encode(texts, normalize_embeddings=True, show_progress_bar=False)
    assert np.abs(enc.vectors - plain).max() < 1e-4
    assert enc.sentence_vectors[0].shape == (2, ort.dim)
    q = ["Who was evacuated?"]
    plain_q = embedder.model.encode(q, normalize_embeddings=True, show_progress_bar=False)
    assert np.abs(ort.encode_queries(q) - plain_q).max() < 1e-4


def test_torch_backend_gives_the_plain_vectors(embedder):
    from index.retrieve.model import Embedder

    torch_emb = Embedder(sentence_vectors="contextual", backend="torch")
    assert torch_emb.backend == "torch"
    texts = ["Heavy rain flooded the valley. Residents were evacuated on Sunday.", "Short."]
    enc = torch_emb.encode_passages(texts, [[(0, 29), (30, 66)], [(0, 6)]])
    plain = embedder.model.encode(texts, normalize_embeddings=True, show_progress_bar=False)
    assert np.abs(enc.vectors - plain).max() < 1e-4
    assert np.abs(torch_emb.encode_queries(texts) - plain).max() < 1e-4


def test_auto_backend_falls_back_to_torch_when_onnx_cannot_load(tmp_path, monkeypatch, caplog):
    from index.retrieve.model import Embedder

    not_a_dir = tmp_path / "cache"
    not_a_dir.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_dir))
    with caplog.at_level("WARNING", logger="index.retrieve"):
        emb = Embedder()
    assert emb.backend == "torch"
    assert "ONNX Runtime not used" in caplog.text
    assert emb.encode_queries(["Who was evacuated?"]).shape == (1, emb.dim)
    with pytest.raises(OSError):
        Embedder(backend="onnx")  # asked for explicitly: the error is the user's to see


def test_int8_backend_is_close_but_marks_the_index_as_other_vectors(embedder):
    from index.build import signature
    from index.config import Config
    from index.retrieve.model import Embedder

    int8 = Embedder(backend="onnx-int8")
    texts = ["Heavy rain flooded the valley. Residents were evacuated on Sunday."]
    cos = float((int8.encode_queries(texts) * embedder.encode_queries(texts)).sum())
    assert 0.8 < cos < 0.99999  # quantised: near the float vector, not equal to it
    config = Config()
    assert signature(config, int8) != signature(config, embedder)
    assert signature(config, Embedder(backend="torch")) == signature(config, embedder)


def test_standalone_sentences_shared_by_passages_are_embedded_once(embedder):
    shared = "Residents were evacuated on Sunday."
    texts = [f"Heavy rain flooded the valley. {shared}", f"{shared} Schools stay closed."]
    first = len("Heavy rain flooded the valley.")
    spans = [
        [(0, first), (first + 1, len(texts[0]))],
        [(0, len(shared)), (len(shared) + 1, len(texts[1]))],
    ]
    seen: list[int] = []
    before = embedder.sentence_vectors
    embedder.sentence_vectors = "standalone"
    try:
        enc = embedder.encode_passages(texts, spans, progress=seen.append)
    finally:
        embedder.sentence_vectors = before
    assert sum(seen) == embedder.work_units(spans) == 6  # progress still counts every input
    plain = embedder.model.encode([shared], normalize_embeddings=True, show_progress_bar=False)
    assert np.abs(enc.sentence_vectors[0][1] - plain[0]).max() < 1e-4
    assert np.array_equal(enc.sentence_vectors[0][1], enc.sentence_vectors[1][0])


def test_a_damaged_cached_onnx_export_is_made_again(tmp_path, monkeypatch, caplog):
    from index.retrieve.model import Embedder, default_model_path
    from index.retrieve.onnx import onnx_cache_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached = onnx_cache_dir(default_model_path()) / "model.onnx"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"\x08\x07half an onnx file")  # what a full disk or a bad copy leaves
    with caplog.at_level("WARNING", logger="index.retrieve"):
        emb = Embedder()
    assert emb.backend == "onnx"
    assert "cannot be loaded; making it again" in caplog.text
    assert cached.stat().st_size > 1_000_000
    assert emb.encode_queries(["Who was evacuated?"]).shape == (1, emb.dim)

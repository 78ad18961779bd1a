"""The embedding model: the fast path, the ONNX and torch backends, sentence vectors."""

from __future__ import annotations

import numpy as np
import pytest


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
    from index.retrieve.model import DEFAULT_MODEL, Embedder
    from index.retrieve.onnx import onnx_cache_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    # the shipped model's export is kept under its package's name (and its weights delta,
    # when one is applied), so another virtualenv (the same weights at another path) finds it
    emb = Embedder(backend="torch")
    assert emb.identity.startswith(DEFAULT_MODEL)
    cached = onnx_cache_dir(emb.identity) / "model.onnx"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"\x08\x07half an onnx file")  # what a full disk or a bad copy leaves
    with caplog.at_level("WARNING", logger="index.retrieve"):
        emb = Embedder()
    assert emb.backend == "onnx"
    assert "cannot be loaded; making it again" in caplog.text
    assert cached.stat().st_size > 1_000_000
    assert emb.encode_queries(["Who was evacuated?"]).shape == (1, emb.dim)


def test_a_local_model_retrained_in_place_re_embeds_the_index(tmp_path):
    import json
    import shutil

    from index.build import changed_parts, configured_signature
    from index.config import Config
    from index.retrieve.model import default_model_path, model_identity

    local = tmp_path / "my-model"
    shutil.copytree(default_model_path(), local)
    config = Config()
    config.model.name = str(local)
    before = configured_signature(config)
    assert model_identity(str(local)).startswith(f"{local}@")
    # an index built before weights were part of the identity is taken as built by them
    legacy = json.dumps(json.loads(before) | {"model": str(local)}, sort_keys=True)
    assert changed_parts(legacy, before) == []

    weights = local / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # what a new training run leaves
    after = configured_signature(config)
    assert changed_parts(before, after) == ["model"]

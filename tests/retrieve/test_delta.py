"""The weights delta: made from a tuned copy, applied on load, known to the index."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from index.errors import ConfigError
from index.retrieve.delta import SHIPPED_DELTA, apply_delta, load_delta, make_delta


@pytest.fixture
def transformer(embedder):
    return copy.deepcopy(embedder.model[0].auto_model)


def test_a_low_rank_change_is_restored_exactly_and_word_embeddings_are_left_alone(transformer):
    base = {k: v.clone() for k, v in transformer.state_dict().items()}
    tuned = copy.deepcopy(transformer)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        q = tuned.encoder.layer[0].attention.self.query
        q.weight += 0.01 * torch.randn(384, 2, generator=g) @ torch.randn(2, 384, generator=g)
        q.bias += 0.01
        tuned.embeddings.word_embeddings.weight += 1.0
    delta = make_delta(base, tuned.state_dict(), rank=2)
    # only what changed, the matrix as two thin factors
    assert sorted(delta) == [
        "encoder.layer.0.attention.self.query.bias:d",
        "encoder.layer.0.attention.self.query.weight:a",
        "encoder.layer.0.attention.self.query.weight:b",
    ]
    apply_delta(transformer, delta)
    got = transformer.encoder.layer[0].attention.self.query
    assert torch.allclose(got.weight, q.weight, atol=2e-4)
    assert torch.allclose(got.bias, q.bias, atol=2e-4)
    assert torch.equal(transformer.embeddings.word_embeddings.weight, base[
        "embeddings.word_embeddings.weight"
    ])  # fmt: skip


def test_the_shipped_delta_changes_the_vectors_and_the_index_signature():
    from index.build import configured_signature, signature
    from index.config import Config
    from index.retrieve.model import DEFAULT_MODEL, Embedder

    plain = Embedder(backend="torch", adapter="none")
    tuned = Embedder(backend="torch", adapter="auto")
    texts = ["Who did the defence minister meet in Beijing?"]
    cos = float((plain.encode_queries(texts) * tuned.encode_queries(texts)).sum())
    assert 0.8 < cos < 0.9999  # fine-tuned: near the shipped model, not equal to it
    assert plain.identity == DEFAULT_MODEL
    assert tuned.identity.startswith(f"{DEFAULT_MODEL}+cloze-r16@")
    config = Config()
    assert signature(config, plain) != signature(config, tuned)
    for adapter, emb in (("auto", tuned), ("none", plain)):
        config.model.adapter = adapter
        assert signature(config, emb) == configured_signature(config)


def test_another_model_gets_no_delta_unless_asked(tmp_path, embedder):
    from index.retrieve.model import model_identity

    assert model_identity("sentence-transformers/all-mpnet-base-v2") == (
        "sentence-transformers/all-mpnet-base-v2"
    )
    assert model_identity("some/model", "auto") == "some/model"  # auto: the shipped model only
    tagged = model_identity("some/model", str(SHIPPED_DELTA))
    assert tagged.startswith("some/model+cloze-r16@")


def test_a_delta_that_does_not_fit_or_cannot_be_read_is_a_clear_error(tmp_path, transformer):
    wrong = {"encoder.layer.9.output.dense.bias:d": np.zeros(384, np.float16)}
    with pytest.raises(ConfigError, match="made from"):
        apply_delta(transformer, wrong)
    shape = {"encoder.layer.0.output.dense.bias:d": np.zeros(10, np.float16)}
    with pytest.raises(ConfigError, match="does not fit"):
        apply_delta(transformer, shape)
    broken = tmp_path / "delta.npz"
    broken.write_bytes(b"PK\x03\x04 half a file")
    with pytest.raises(ConfigError, match="cannot read"):
        load_delta(broken)

    from index.retrieve.model import Embedder

    with pytest.raises(ConfigError, match="no such file"):
        Embedder(adapter=str(tmp_path / "missing.npz"))


def test_the_shipped_delta_records_where_it_came_from():
    import json

    with np.load(SHIPPED_DELTA) as f:
        meta = json.loads(str(f["provenance"]))
        assert f["encoder.layer.5.output.dense.weight:a"].dtype == np.float16
    assert meta["trained_by"] == "bench/train_cloze.py" and meta["rank"] == 16
    assert meta["corpus"].endswith("realtimeqa-2022/corpus.jsonl")
    assert SHIPPED_DELTA.stat().st_size < 2_000_000

"""The cross-encoder path, with a tiny cross-encoder built and saved by the test itself."""

import numpy as np
import pytest

from index.config import SAMPLE_CORPUS
from index.engine import Engine
from index.retrieve.rerank import Reranker, rerank
from tests.helpers import make_config


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory, embedder):
    """A 2-layer BERT cross-encoder with random weights, saved where CrossEncoder loads it."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny-ce")
    tok = embedder.model.tokenizer
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=64, num_labels=1)  # fmt: skip
    BertForSequenceClassification(cfg).save_pretrained(path)
    tok.save_pretrained(path)
    return str(path)


def test_rerank_keeps_tail_and_sorts_head():
    assert rerank([10, 11, 12, 13], np.array([0.1, 0.9, 0.5], np.float32)) == [11, 12, 10, 13]


def test_engine_orders_top_candidates_by_cross_encoder(tmp_path, embedder, tiny_cross_encoder):
    config = make_config(tmp_path, [SAMPLE_CORPUS])
    config.model.reranker = tiny_cross_encoder
    config.model.rerank_candidates = 5
    engine = Engine(config, embedder)
    engine.build()
    question = "Who did Shoigu meet in Beijing?"
    hits = engine.retrieve(question, k=5).hits
    ce = Reranker(tiny_cross_encoder)
    scores = ce.scores(question, [h.text for h in hits])
    assert len(hits) == 5
    assert list(scores) == sorted(scores, reverse=True)  # hits come in cross-encoder order
    without = Engine(make_config(tmp_path / "plain", [SAMPLE_CORPUS]), embedder)
    without.build()
    plain = [h.text for h in without.retrieve(question, k=5).hits]
    assert plain != [h.text for h in hits]  # random weights reorder the dense ranking

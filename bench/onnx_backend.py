"""ONNX Runtime embedding on CPU: export the transformer once, run it fp32 or int8.

sentence-transformers' own `backend="onnx"` needs optimum-onnx, whose only release pins
transformers<4.58 (we run 5.x), so the graph is exported with torch.onnx
(index.embed.export_onnx) and run with onnxruntime directly: the same graph and pooling
the backend would run.
Vectors out: (n, dim) float32, mean-pooled, L2-normalised, like the default path.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embed import pad_batch

ORT_PINS = "onnxruntime==1.31.1 onnx==1.23.2 onnxscript==0.7.2"


def available() -> str | None:
    """None when onnxruntime and onnx import, else why not."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} not installed (pip install {ORT_PINS})"
    return None


def export(st_model, out_dir: Path) -> Path:
    """The transformer as ONNX, exported once (the same file the onnx backend uses)."""
    from index.embed import export_onnx

    return export_onnx(st_model, out_dir)


def quantize_int8(fp32_path: Path) -> Path:
    """Dynamic int8 quantisation of the weights (the file the onnx-int8 backend uses)."""
    from index.embed import quantize_int8 as quantize

    return quantize(fp32_path)


class OrtEncoder:
    """Encode texts with an ONNX graph: length-sorted batches, mean pooling, normalised."""

    def __init__(self, path: Path, tokenizer, max_length: int = 256, batch_size: int = 64):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1))
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.tok = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        enc = self.tok(list(texts), truncation=True, max_length=self.max_length)
        order = np.argsort([-len(x) for x in enc["input_ids"]], kind="stable")
        pad = self.tok.pad_token_id or 0
        out = None
        for lo in range(0, len(order), self.batch_size):
            idx = order[lo : lo + self.batch_size]
            width = len(enc["input_ids"][idx[0]])
            ids, mask = pad_batch([enc["input_ids"][i] for i in idx], width, pad)
            (hidden,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            if out is None:
                out = np.zeros((len(texts), pooled.shape[-1]), dtype=np.float32)
            out[idx] = pooled
        if out is None:
            return np.zeros((0, 0), dtype=np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def timed(fn, *args) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t0, result

"""The transformer exported once to ONNX and run by ONNX Runtime on the CPU.

Same vectors as torch to 1e-7 (bench/README.md); the export is cached per model name and
written under a temporary name first, so a killed export never leaves a broken file.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import warnings
from pathlib import Path

log = logging.getLogger(__name__)


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


def ort_session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

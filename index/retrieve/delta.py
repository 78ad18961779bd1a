"""A low-rank change to a model's weights: how a fine-tune of the shipped model ships.

A fine-tune of all-MiniLM-L6-v2 is 90 MB; its change to each weight matrix cut to rank 16
by SVD is 1.4 MB and keeps the gain (bench/train_cloze.py, README). A matrix changes by
A @ B, a vector (bias, LayerNorm) by its whole difference. The word embeddings are left
alone: a row moves only when a training question holds its token, which is noise.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import ConfigError

# Made by bench/train_cloze.py --rank 16 from the shipped MiniLM; its provenance is in
# the file (key "provenance", JSON).
SHIPPED_DELTA = Path(__file__).resolve().parent.parent / "data" / "cloze-r16.npz"
PROVENANCE = "provenance"
SKIPPED = ("embeddings.word_embeddings.weight",)


def make_delta(base: Mapping, tuned: Mapping, rank: int) -> dict[str, np.ndarray]:
    """The change from `base` to `tuned` (state dicts of one architecture) as fp16 arrays:
    "<param>:a" and "<param>:b" for a matrix (rank `rank`), "<param>:d" for the rest."""
    import torch

    out: dict[str, np.ndarray] = {}
    for name, w in base.items():
        if name in SKIPPED or not torch.is_floating_point(w):
            continue
        d = tuned[name].float() - w.float()
        if not d.abs().max():
            continue
        if d.ndim == 2 and rank < min(d.shape):
            u, s, vh = torch.linalg.svd(d, full_matrices=False)
            out[f"{name}:a"] = (u[:, :rank] * s[:rank]).numpy().astype(np.float16)
            out[f"{name}:b"] = vh[:rank].numpy().astype(np.float16)
        else:
            out[f"{name}:d"] = d.numpy().astype(np.float16)
    return out


def load_delta(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a delta file (without its provenance); a clear error if unreadable."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files if k != PROVENANCE}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"model.adapter: cannot read {path}: {exc}") from exc


def apply_delta(module, delta: Mapping[str, np.ndarray]) -> None:
    """Add `delta` to the parameters of `module` (a transformer) in place."""
    import torch

    params = dict(module.named_parameters())
    names = sorted({k.rsplit(":", 1)[0] for k in delta})
    missing = [n for n in names if n not in params]
    if missing:
        raise ConfigError(
            f"model.adapter does not fit this model: it changes {missing[0]!r}, which the "
            "model does not have (an adapter works only on the model it was made from)"
        )
    with torch.no_grad():
        for name in names:
            p = params[name]
            if f"{name}:d" in delta:
                change = torch.from_numpy(delta[f"{name}:d"].astype(np.float32))
            else:
                a = torch.from_numpy(delta[f"{name}:a"].astype(np.float32))
                change = a @ torch.from_numpy(delta[f"{name}:b"].astype(np.float32))
            if change.shape != p.shape:
                raise ConfigError(
                    f"model.adapter does not fit this model: {name} is {tuple(p.shape)}, "
                    f"the adapter changes a {tuple(change.shape)}"
                )
            p.add_(change.to(p.device, p.dtype))


def resolve_adapter(adapter: str, default_model: bool) -> Path | None:
    """The delta file `adapter` names: "auto" is the shipped one on the shipped model (none
    on any other), "none" or "" is none, anything else a path."""
    if adapter == "auto":
        return SHIPPED_DELTA if default_model else None
    if adapter in ("", "none"):
        return None
    path = Path(adapter).expanduser()
    if not path.is_file():
        raise ConfigError(f"model.adapter: no such file {path}")
    return path


def delta_tag(path: Path) -> str:
    """What an index and the ONNX cache know a delta by: its name and content digest, so
    that a retrained delta re-embeds the index even under the same file name."""
    return f"{path.stem}@{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"

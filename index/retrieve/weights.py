"""Named linear weights shipped as data (index/data/*.json): read, checked and written."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources

import numpy as np


def read_weights(data: dict, names: Sequence[str], what: str) -> np.ndarray:
    """`data["weights"]` ({name: value}, a missing name is 0) as an array in `names` order;
    an unknown name or a value that is not a finite number is a ValueError naming `what`."""
    given = data.get("weights", {})
    unknown = set(given) - set(names)
    if unknown:
        raise ValueError(f"{what} weights name unknown features: {', '.join(sorted(unknown))}")
    w = np.array([float(given.get(f, 0.0)) for f in names])
    if not np.isfinite(w).all():
        raise ValueError(f"{what} weights must be finite numbers")
    return w


def weights_dict(weights: np.ndarray, names: Sequence[str]) -> dict:
    return {"weights": {f: round(float(v), 4) for f, v in zip(names, weights, strict=True)}}


def shipped_data(filename: str) -> dict:
    """The JSON of a weights file shipped in the package's data folder."""
    text = resources.files("index").joinpath(f"data/{filename}").read_text(encoding="utf-8")
    return json.loads(text)

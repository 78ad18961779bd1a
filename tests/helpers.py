"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from index.config import SAMPLE_CORPUS, Config


def make_config(data_dir: Path, sources: list[Path] | None = None, **search) -> Config:
    config = Config(data_dir=str(data_dir), sources=[str(s) for s in (sources or [SAMPLE_CORPUS])])
    for key, value in search.items():
        setattr(config.search, key, value)
    return config

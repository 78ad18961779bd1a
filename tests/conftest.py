"""Shared fixtures: one real model per session, real indexes in tmp directories."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from index.config import SAMPLE_CORPUS, Config
from index.engine import Engine
from index.retrieve.model import Embedder
from tests.helpers import make_config

SHARED = Path(__file__).resolve().parents[2] / "shared"

# The bot's end-to-end fixtures (a fake Discord, bots on real indexes) live with its tests.
pytest_plugins = ["tests.bot.fixtures", "tests.web.fixtures"]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real default model with the default settings, loaded once for the whole run."""
    return Embedder.from_config(Config().model)


@pytest.fixture
def engine_factory(tmp_path, embedder):
    """Build a real index of `sources` in a fresh tmp data dir and return its Engine."""

    def factory(sources: list[Path] | None = None, build: bool = True, **search) -> Engine:
        data = tmp_path / f"data{len(list(tmp_path.glob('data*')))}"
        engine = Engine(make_config(data, sources, **search), embedder)
        if build:
            engine.build()
        return engine

    return factory


@pytest.fixture(scope="session")
def sample_engine(tmp_path_factory, embedder) -> Engine:
    """The shipped sample coverage, indexed once per session (read-only for tests)."""
    data = tmp_path_factory.mktemp("sample")
    engine = Engine(make_config(data), embedder)
    engine.build()
    return engine


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the sample coverage, for tests that edit or delete articles."""
    dest = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, dest)
    return dest

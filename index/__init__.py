"""The newsdesk engine: ingestion, cleaning, passages, embeddings, storage and retrieval.

Usable as a library; the CLI and the bot import only the names below:

    from index import Engine, load
    engine = Engine.open(load(), build_if_missing=True)
    answer = engine.ask("Who did Shoigu meet in Beijing?")

Never imports discord. Names load on first use, so `import index` stays cheap (the CLI's
`--help` does not pay for torch and FAISS).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "ELLIPSIS",
    "PASSAGE_BUDGET",
    "SAMPLE_CORPUS",
    "SEARCH_MODES",
    "Answer",
    "BuildInterrupted",
    "BuildLockedError",
    "BuildReport",
    "Citation",
    "Config",
    "ConfigError",
    "Engine",
    "Hit",
    "IndexCorruptError",
    "IndexEmptyError",
    "IndexMissingError",
    "IndexedArticle",
    "MassRemovalError",
    "NewsdeskError",
    "NoMatchingArticlesError",
    "Progress",
    "QueryError",
    "SourceError",
    "SourceMissingError",
    "SourceSync",
    "clip",
    "default_data_dir",
    "evaluate",
    "excerpt",
    "load",
    "load_qa",
    "parse_every",
    "parse_iso_date",
    "sync_once",
    "watch",
]

# name -> the module that defines it (imported on first use)
_EXPORTS = {
    **dict.fromkeys(("Engine", "parse_iso_date"), "index.engine"),
    **dict.fromkeys(
        ("Config", "load", "default_data_dir", "SAMPLE_CORPUS", "SEARCH_MODES"), "index.config"
    ),
    **dict.fromkeys(("evaluate", "load_qa"), "index.evaluation"),
    **dict.fromkeys(("excerpt", "clip", "ELLIPSIS", "PASSAGE_BUDGET"), "index.quoting"),
    **dict.fromkeys(
        ("Answer", "Hit", "Citation", "IndexedArticle", "BuildReport", "Progress", "SourceSync"),
        "index.models",
    ),
    **dict.fromkeys(("parse_every", "sync_once", "watch"), "index.web.schedule"),
    **dict.fromkeys(
        (
            "NewsdeskError",
            "ConfigError",
            "IndexMissingError",
            "IndexEmptyError",
            "IndexCorruptError",
            "BuildLockedError",
            "BuildInterrupted",
            "MassRemovalError",
            "SourceError",
            "SourceMissingError",
            "QueryError",
            "NoMatchingArticlesError",
        ),
        "index.errors",
    ),
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'index' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from .config import SAMPLE_CORPUS, SEARCH_MODES, Config, default_data_dir, load
    from .engine import Engine, parse_iso_date
    from .errors import (
        BuildInterrupted,
        BuildLockedError,
        ConfigError,
        IndexCorruptError,
        IndexEmptyError,
        IndexMissingError,
        MassRemovalError,
        NewsdeskError,
        NoMatchingArticlesError,
        QueryError,
        SourceError,
        SourceMissingError,
    )
    from .evaluation import evaluate, load_qa
    from .models import Answer, BuildReport, Citation, Hit, IndexedArticle, Progress, SourceSync
    from .quoting import ELLIPSIS, PASSAGE_BUDGET, clip, excerpt
    from .web.schedule import parse_every, sync_once, watch
